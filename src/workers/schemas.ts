/**
 * Writer schemas compiled once per snapshot: JSON Schema with one engine per draft
 * (json-schema.ts), avsc types for Avro, protobufjs for Protobuf, and a fingerprint of the
 * canonical definition.
 */
import { createHash } from 'node:crypto';
import avro from 'avsc';
import {
  compileJsonSchema,
  type EngineChoice,
  JsonSchemaEngines,
  type JsonValidator,
  normaliseDraft04,
} from './json-schema.js';
import { type CompiledProtobuf, compileProtobuf, protobufFingerprint } from './protobuf.js';
import type { RegistrySchema } from './protocol.js';

export interface CompiledSchema {
  meta: RegistrySchema;
  /** `sha256:<hex>` of the canonical definition (sorted-key JSON; Avro's Parsing Canonical Form). */
  fingerprint: string;
  /** Normalised JSON Schema document (draft-04 keywords rewritten), for compatibility; absent for a boolean schema. */
  json?: Record<string, unknown>;
  validator?: JsonValidator;
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

/**
 * Compiles every schema of a snapshot; JSON Schemas may `$ref` each other by `$id`.
 * `jsonEngine` overrides the measured engine per draft (the suite's comparison only).
 */
export function compileSchemas(list: RegistrySchema[], jsonEngine?: EngineChoice): Map<string, CompiledSchema> {
  const byKey = new Map<string, CompiledSchema>();
  const parsed = new Map<RegistrySchema, unknown>();
  const context = new Map<string, unknown>();
  for (const rs of list) {
    if (rs.data_format !== 'JSON') continue;
    try {
      const doc = JSON.parse(rs.definition) as unknown;
      if (typeof doc !== 'boolean' && (doc === null || typeof doc !== 'object' || Array.isArray(doc)))
        throw new Error('not an object or a boolean');
      parsed.set(rs, doc);
      const id = typeof doc === 'object' ? (doc as Record<string, unknown>).$id : undefined;
      if (typeof id === 'string') context.set(id.replace(/#$/, ''), doc);
    } catch (err) {
      parsed.set(rs, err as Error);
    }
    // Confluent references: the schema `$ref`s each by the reference's name.
    for (const ref of rs.references ?? []) {
      try {
        if (!context.has(ref.name)) context.set(ref.name, JSON.parse(ref.definition));
      } catch {} // a broken reference leaves its $ref unresolved: UNRESOLVED_REF names it
    }
  }
  const engines = new JsonSchemaEngines(context, jsonEngine);
  for (const rs of list) {
    const c = compileOne(rs, parsed.get(rs), engines);
    byKey.set(rs.version_id, c);
    byKey.set(rs.schema_id, c);
  }
  return byKey;
}

function compileOne(rs: RegistrySchema, doc: unknown, engines: JsonSchemaEngines): CompiledSchema {
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
  const normalised = typeof doc === 'boolean' ? undefined : (normaliseDraft04(doc) as Record<string, unknown>);
  const fingerprint = `sha256:${sha256(canonicalJson(normalised ?? doc))}`;
  return { ...base, json: normalised, fingerprint, ...compileJsonSchema(doc, engines, base.warnings) };
}
