/**
 * Writer schemas compiled once per snapshot: TypeBox validators for JSON Schema (drafts
 * 04/06/07), avsc types for Avro, and a fingerprint of the canonical definition. Problems that
 * TypeBox would hide are found here: an unresolved `$ref` compiles to reject-all, so it becomes
 * a compile error; an unknown `format` silently passes, so it becomes a warning.
 * `pattern` keywords run on RE2 (TypeBox takes a RegExp there and calls its `test`); TypeBox
 * offers no such seam for `patternProperties` (nor the `additionalProperties` key test built
 * from them), so those stay on V8, bounded by the enforcer's per-record budget.
 */
import { createHash } from 'node:crypto';
import avro from 'avsc';
import { Format } from 'typebox/format';
import Schema, { Meta } from 'typebox/schema';
import { describeSchemaErrors } from '../common/schema-errors.js';
import { installFastFormats } from './gates/formats.js';
import { compilePattern, Re2RegExp } from './gates/patterns.js';
import { type CompiledProtobuf, compileProtobuf, protobufFingerprint } from './protobuf.js';
import type { RegistrySchema } from './protocol.js';

// TypeBox validators capture their format checkers when compiled: use the fast date-time (same acceptance).
installFastFormats();

export interface CompiledSchema {
  meta: RegistrySchema;
  /** `sha256:<hex>` of the canonical definition (sorted-key JSON; Avro's Parsing Canonical Form). */
  fingerprint: string;
  /** Normalised JSON Schema document (draft-04 keywords rewritten), for validation and compatibility. */
  json?: Record<string, unknown>;
  validator?: {
    Check(v: unknown): boolean;
    Errors(
      v: unknown,
    ): [boolean, { keyword: string; instancePath: string; schemaPath: string; params: Record<string, unknown> }[]];
  };
  avro?: avro.Type;
  /** Protobuf messages (protobuf.ts). */
  protobuf?: CompiledProtobuf;
  /** Set when the definition cannot be used: a SCHEMA gate reason code. */
  error?: string;
  /** Why, for a person (`validate` prints it): the parser's or the meta-schema's complaint. */
  problem?: string;
  /** Compile-time findings that do not fail records (e.g. UNKNOWN_FORMAT:<name>). */
  warnings: string[];
  /** COMPATIBILITY verdicts memoised per (reader version id, mode): reason codes or null. */
  compat: Map<string, string[] | null>;
}

let metaCheck: ReturnType<typeof Schema.Compile> | undefined;

/**
 * The document checked against the draft-07 meta-schema (TypeBox ships it), so that
 * `{"type":"objekt"}` is a broken schema rather than one that accepts everything. Documents are
 * checked after the draft-04 rewrite; later drafts' new keywords are unknown to draft-07 and so
 * allowed, while the keywords they share must still be well-formed.
 */
function metaProblem(doc: Record<string, unknown>): string | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: TypeBox's meta-schema objects are XSchema documents.
  metaCheck ??= Schema.Compile(Meta['http://json-schema.org/draft-07/schema#'] as any);
  if (metaCheck.Check(doc)) return undefined;
  return describeSchemaErrors(metaCheck.Errors(doc)[1]);
}

/** Sorted-key JSON: the canonical form fingerprints are computed from. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

/** Draft-04 differs from 06/07 in `id` and boolean exclusive bounds; rewrite to the 06/07 forms TypeBox reads. */
function normaliseDraft04(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normaliseDraft04);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'enum' || k === 'const' || k === 'default' || k === 'examples') out[k] = v;
    else if (k === 'id' && typeof v === 'string' && src.$id === undefined) out.$id = v;
    else out[k] = normaliseDraft04(v);
  }
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (typeof out.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (out.exclusiveMaximum === true && typeof out.maximum === 'number') {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (typeof out.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
  return out;
}

/** Resolves a local JSON Pointer fragment inside `doc`. */
export function resolvePointer(doc: unknown, fragment: string): unknown {
  if (fragment === '' || fragment === '/') return doc;
  let cur = doc;
  for (const raw of fragment.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Collects `$ref`s, nested `$id`s and `format`s of a document (enum/const values are data, skipped). */
function scan(node: unknown, refs: string[], ids: Set<string>, formats: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) scan(n, refs, ids, formats);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') refs.push(v);
    else if (k === '$id' && typeof v === 'string') ids.add(v.replace(/#$/, ''));
    else if (k === 'format' && typeof v === 'string') formats.add(v);
    else if (k !== 'enum' && k !== 'const' && k !== 'default' && k !== 'examples') scan(v, refs, ids, formats);
  }
}

function refResolves(
  doc: Record<string, unknown>,
  ref: string,
  ids: Set<string>,
  context: Map<string, unknown>,
): boolean {
  const hash = ref.indexOf('#');
  let base = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? '' : ref.slice(hash + 1);
  let target: unknown = doc;
  if (base !== '') {
    const rootId = typeof doc.$id === 'string' ? doc.$id : undefined;
    if (!ids.has(base) && !context.has(base) && rootId) {
      try {
        base = new URL(base, rootId).href;
      } catch {
        return false;
      }
    }
    if (ids.has(base)) return true; // a nested $id: TypeBox resolves it itself
    target = context.get(base);
    if (target === undefined) return false;
  }
  return fragment === '' || !fragment.startsWith('/')
    ? target !== undefined
    : resolvePointer(target, fragment) !== undefined;
}

const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

/**
 * A copy of `node` for TypeBox in which every `pattern` keyword is an RE2-backed RegExp. The
 * normalised document itself keeps its strings (compatibility compares them). A pattern RE2
 * cannot compile (lookaround, backreferences) stays a string, on V8, with a compile warning.
 */
function withRe2Patterns(node: unknown, warnings: string[]): unknown {
  if (Array.isArray(node)) return node.map((n) => withRe2Patterns(n, warnings));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(k)) out[k] = v;
    // A property *named* "pattern" holds a schema object, never a string.
    else if (k === 'pattern' && typeof v === 'string') {
      // TypeBox reads patterns in Unicode mode: one that is not valid there stays a string and
      // fails the compile (SCHEMA_DEFINITION_INVALID), as before.
      const c = unicodeValid(v) ? compilePattern(v) : null;
      if (c === null) out[k] = v;
      else if (c.ok) out[k] = new Re2RegExp(c.re, v);
      else {
        out[k] = v;
        warnings.push(`PATTERN_ON_V8:${v}`);
      }
    } else out[k] = withRe2Patterns(v, warnings);
  }
  return out;
}

function unicodeValid(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u'); // parsed, never run
    return true;
  } catch {
    return false;
  }
}

/** Compiles every schema of a snapshot; JSON Schemas may `$ref` each other by `$id`. */
export function compileSchemas(list: RegistrySchema[]): Map<string, CompiledSchema> {
  const byKey = new Map<string, CompiledSchema>();
  const parsed = new Map<RegistrySchema, Record<string, unknown> | Error>();
  const context = new Map<string, unknown>();
  for (const rs of list) {
    if (rs.data_format !== 'JSON') continue;
    try {
      const doc = normaliseDraft04(JSON.parse(rs.definition)) as Record<string, unknown>;
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not an object');
      parsed.set(rs, doc);
      if (typeof doc.$id === 'string') context.set(doc.$id.replace(/#$/, ''), doc);
    } catch (err) {
      parsed.set(rs, err as Error);
    }
    // Confluent references: the schema `$ref`s each by the reference's name.
    for (const ref of rs.references ?? []) {
      try {
        if (!context.has(ref.name)) context.set(ref.name, normaliseDraft04(JSON.parse(ref.definition)));
      } catch {} // a broken reference leaves its $ref unresolved: UNRESOLVED_REF names it
    }
  }
  // Referenced schemas are validated too: their patterns go to RE2 as well (warnings dropped:
  // each schema reports its own when it is compiled as a writer).
  const contextObj = Object.fromEntries([...context].map(([id, doc]) => [id, withRe2Patterns(doc, [])]));
  for (const rs of list) {
    const c = compileOne(rs, parsed.get(rs), context, contextObj);
    byKey.set(rs.version_id, c);
    byKey.set(rs.schema_id, c);
  }
  return byKey;
}

function compileOne(
  rs: RegistrySchema,
  doc: Record<string, unknown> | Error | undefined,
  context: Map<string, unknown>,
  contextObj: Record<string, unknown>,
): CompiledSchema {
  const base = { meta: rs, warnings: [] as string[], compat: new Map<string, string[] | null>() };
  if (rs.data_format === 'PROTOBUF') {
    const fingerprint = protobufFingerprint(rs.definition, rs.references);
    try {
      return { ...base, fingerprint, protobuf: compileProtobuf(rs.definition, rs.references) };
    } catch (err) {
      return { ...base, fingerprint, error: 'SCHEMA_DEFINITION_INVALID', problem: (err as Error).message };
    }
  }
  if (rs.data_format === 'AVRO') {
    try {
      // Referenced schemas (Confluent references, dependencies first) define the named types it uses.
      const registry = {};
      for (const r of rs.references ?? []) avro.Type.forSchema(JSON.parse(r.definition), { registry });
      const type = avro.Type.forSchema(JSON.parse(rs.definition), { registry });
      return { ...base, avro: type, fingerprint: `sha256:${type.fingerprint('sha256').toString('hex')}` };
    } catch (err) {
      return {
        ...base,
        fingerprint: `sha256:${sha256(rs.definition)}`,
        error: 'SCHEMA_DEFINITION_INVALID',
        problem: (err as Error).message,
      };
    }
  }
  if (rs.data_format !== 'JSON' || doc === undefined || doc instanceof Error) {
    const error = rs.data_format === 'JSON' ? 'SCHEMA_DEFINITION_INVALID' : 'UNSUPPORTED_DATA_FORMAT';
    const problem = doc instanceof Error ? doc.message : `data format ${rs.data_format} is not supported`;
    return { ...base, fingerprint: `sha256:${sha256(rs.definition)}`, error, problem };
  }
  const fingerprint = `sha256:${sha256(canonicalJson(doc))}`;
  const invalid = metaProblem(doc);
  if (invalid !== undefined) {
    return { ...base, json: doc, fingerprint, error: 'SCHEMA_DEFINITION_INVALID', problem: invalid };
  }
  const refs: string[] = [];
  const ids = new Set<string>();
  const formats = new Set<string>();
  scan(doc, refs, ids, formats);
  for (const f of formats) if (!Format.Has(f)) base.warnings.push(`UNKNOWN_FORMAT:${f}`);
  const unresolved = refs.find((r) => !refResolves(doc, r, ids, context));
  if (unresolved !== undefined) {
    base.warnings.push(`UNRESOLVED_REF:${unresolved}`);
    return { ...base, json: doc, fingerprint, error: 'UNRESOLVED_REF', problem: `$ref ${unresolved} does not resolve` };
  }
  try {
    const re2Doc = withRe2Patterns(doc, base.warnings);
    // biome-ignore lint/suspicious/noExplicitAny: TypeBox's XSchema type does not describe arbitrary documents.
    const validator = Schema.Compile(contextObj as any, re2Doc as any) as unknown as CompiledSchema['validator'];
    return { ...base, json: doc, fingerprint, validator };
  } catch (err) {
    return { ...base, json: doc, fingerprint, error: 'SCHEMA_DEFINITION_INVALID', problem: (err as Error).message };
  }
}
