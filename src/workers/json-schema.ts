/**
 * JSON Schema writer documents: the engine per draft (chosen by running the official test
 * suite through the gate, perf/json-schema-suite.ts; docs/gates.md has the table), the
 * compile-time checks, and one error shape for the SCHEMA gate's reason codes.
 *
 * Around every engine:
 * - the document's `$schema` picks the draft (none or unknown: draft-07);
 * - it must pass its draft's meta-schema (else SCHEMA_DEFINITION_INVALID);
 * - an unresolved `$ref` is a compile error (UNRESOLVED_REF), never a validator that rejects
 *   (TypeBox) or accepts everything;
 * - an unknown `format` passes with an UNKNOWN_FORMAT warning; a pattern RE2 cannot run runs
 *   on V8 with a PATTERN_ON_V8 warning;
 * - the rewrites of json-schema-walk.ts (draft-07 `$ref` siblings, `__proto__` properties).
 * Engines are built per snapshot (compile once per policy version): registry schemas `$ref`
 * each other by `$id`, and an ajv instance keeps every document it was given.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Format } from 'typebox/format';
import { describeSchemaErrors } from '../common/schema-errors.js';
import { compilePattern } from './gates/patterns.js';
import { type Ajv, metaSchemas, newAjv } from './json-schema-ajv.js';
import { type Draft, draftOf } from './json-schema-draft.js';
import { compileTypeBox, type TypeBoxValidator } from './json-schema-typebox.js';
import { DATA_KEYWORDS, prepareDocument, setOwn } from './json-schema-walk.js';

export type Engine = 'ajv' | 'typebox';
export type EngineChoice = (d: Draft) => Engine;

/** Measured per draft (docs/gates.md): the engine that passes more of the official suite. */
export const ENGINE_BY_DRAFT: Record<Draft, Engine> = {
  'draft-04': 'ajv',
  'draft-06': 'ajv',
  'draft-07': 'ajv',
  '2019-09': 'typebox',
  '2020-12': 'typebox',
};

/** One validation error, whichever engine found it: `props` names the properties of required/additional/unevaluated. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  props: string[];
}

/** A compiled writer schema: `check` on every record, `errors` (all of them) only after a failure. */
export interface JsonValidator {
  check(v: unknown): boolean;
  errors(v: unknown): SchemaError[];
}

type CompileResult =
  | { ok: true; validator: JsonValidator }
  | { ok: false; error: 'UNRESOLVED_REF' | 'SCHEMA_DEFINITION_INVALID'; problem: string; ref?: string };

/** Format names the gate knows (TypeBox's registry, our fast date-time among them). */
export const knownFormat = (name: string) => Format.Has(name);

/**
 * The engines of one snapshot. Per draft: a first-failure ajv for meta-schema checks, `$ref`
 * resolution and (where ajv is the engine) `check`; an all-errors ajv built on first need for
 * the reason codes. Every `$id`-carrying document of the snapshot is known to every engine.
 */
export class JsonSchemaEngines {
  private readonly ajvs = new Map<string, Ajv>();
  private readonly prepared = new Map<unknown, unknown>();
  private typeboxContext: Record<string, unknown> | undefined;

  /** `context`: `$id` -> document; `engineFor` exists for the suite's engine comparison. */
  constructor(
    private readonly context: Map<string, unknown>,
    private readonly engineFor: EngineChoice = (d) => ENGINE_BY_DRAFT[d],
  ) {}

  /** The rewritten document, one object per source document (ajv finds added documents by identity). */
  private prep(doc: unknown): unknown {
    let p = this.prepared.get(doc);
    if (p === undefined) {
      p = prepareDocument(doc, draftOf(doc));
      this.prepared.set(doc, p);
    }
    return p;
  }

  private ajv(draft: Draft, allErrors: boolean): Ajv {
    const key = `${draft}/${allErrors}`;
    let ajv = this.ajvs.get(key);
    if (ajv === undefined) {
      ajv = newAjv(draft, allErrors);
      // A referenced document of another draft is read with this engine's rules: cross-draft
      // references are rare, and an ajv instance has one vocabulary.
      for (const [key, doc] of this.context) {
        try {
          // By its key too: a Confluent reference is `$ref`ed by its name, not by an `$id`.
          const id = doc !== null && typeof doc === 'object' ? (doc as { $id?: unknown }).$id : undefined;
          ajv.addSchema(this.prep(doc), typeof id === 'string' && id.replace(/#$/, '') === key ? undefined : key);
        } catch {
          // Broken or clashing: it reports its own problem when compiled as a writer.
        }
      }
      this.ajvs.set(key, ajv);
    }
    return ajv;
  }

  compile(doc: unknown): CompileResult {
    const draft = draftOf(doc);
    const prepared = this.prep(doc);
    const fast = this.ajv(draft, false);
    const metaProblem = metaSchemaProblem(draft, prepared);
    if (metaProblem !== undefined) return { ok: false, error: 'SCHEMA_DEFINITION_INVALID', problem: metaProblem };
    let check: ValidateFunction | undefined;
    try {
      check = compileIn(fast, prepared);
    } catch (err) {
      const e = err as Error & { missingRef?: string };
      if (typeof e.missingRef === 'string')
        return {
          ok: false,
          error: 'UNRESOLVED_REF',
          problem: `$ref ${e.missingRef} does not resolve`,
          ref: e.missingRef,
        };
      // Another engine may do what ajv cannot (e.g. a relative $ref beside an $id in 2019-09).
      if (this.engineFor(draft) === 'ajv') return { ok: false, error: 'SCHEMA_DEFINITION_INVALID', problem: e.message };
    }
    if (this.engineFor(draft) === 'typebox') return this.compileTypeBox(prepared);
    let full: ValidateFunction | undefined;
    const fastCheck = check!;
    return {
      ok: true,
      validator: {
        check: (v) => fastCheck(v) as boolean,
        errors: (v) => {
          full ??= compileIn(this.ajv(draft, true), prepared);
          full(v);
          return (full.errors ?? []).map(fromAjv);
        },
      },
    };
  }

  private compileTypeBox(prepared: unknown): CompileResult {
    if (this.typeboxContext === undefined) {
      const ctx: Record<string, unknown> = {};
      for (const m of metaSchemas()) setOwn(ctx, String(m.$id ?? m.id).replace(/#$/, ''), m);
      for (const [id, doc] of this.context) setOwn(ctx, id, this.prep(doc));
      this.typeboxContext = ctx;
    }
    let v: TypeBoxValidator;
    try {
      v = compileTypeBox(prepared, this.typeboxContext);
    } catch (err) {
      return { ok: false, error: 'SCHEMA_DEFINITION_INVALID', problem: (err as Error).message };
    }
    return { ok: true, validator: { check: (x) => v.Check(x), errors: (x) => v.Errors(x)[1].map(fromTypeBox) } };
  }
}

/**
 * Meta-schema checkers, one per draft for the process: they hold no user documents, and an
 * ajv instance compiles its meta-schema on first use (~10 ms), which a snapshot need not repeat.
 */
const metaCheckers = new Map<Draft, Ajv>();

/** Why `doc` breaks its draft's meta-schema (every complaint, for a person), or undefined. */
function metaSchemaProblem(draft: Draft, doc: unknown): string | undefined {
  let ajv = metaCheckers.get(draft);
  if (ajv === undefined) {
    ajv = newAjv(draft, true, true);
    metaCheckers.set(draft, ajv);
  }
  return ajv.validateSchema(doc) === true ? undefined : describe(ajv.errors ?? []);
}

/** A document already added by `$id` is fetched by it (ajv refuses a second copy of an id). */
function compileIn(ajv: Ajv, doc: unknown): ValidateFunction {
  const id = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>).$id : undefined;
  if (typeof id === 'string') {
    const known = ajv.getSchema(id.replace(/#$/, ''));
    if (known !== undefined && known.schema === doc) return known;
  }
  return ajv.compile(doc);
}

const describe = (errors: ErrorObject[]) =>
  describeSchemaErrors(
    errors.map((m) => ({ ...m, message: m.message ?? m.keyword })),
    3,
  );

function fromAjv(e: ErrorObject): SchemaError {
  const p = e.params as Record<string, unknown>;
  const prop = p.missingProperty ?? p.additionalProperty ?? p.unevaluatedProperty;
  return {
    keyword: e.keyword,
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    props: prop === undefined ? [] : [String(prop)],
  };
}

/** TypeBox lists properties in arrays; a `false` subschema under additionalProperties is an unexpected field. */
function fromTypeBox(e: ReturnType<TypeBoxValidator['Errors']>[1][number]): SchemaError {
  const p = e.params;
  const props = (p.requiredProperties ?? p.additionalProperties ?? p.unevaluatedProperties) as string[] | undefined;
  if (e.keyword === 'boolean' && /\/(additionalProperties|unevaluatedProperties)$/.test(e.schemaPath))
    return { keyword: 'additionalProperties', instancePath: e.instancePath, schemaPath: e.schemaPath, props: [] };
  return {
    keyword: e.keyword,
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    props: Array.isArray(props) ? props : [],
  };
}

/**
 * Compile-time findings that do not fail records: UNKNOWN_FORMAT:<name> (such a format passes)
 * and PATTERN_ON_V8:<pattern> (RE2 cannot run it). Keys of `properties`-like maps are names,
 * not keywords, but a name such as "format" holds a schema object, never a string, so a
 * string test is enough.
 */
function scanWarnings(node: unknown, warnings: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) scanWarnings(n, warnings);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(k)) continue;
    if (k === 'format' && typeof v === 'string') {
      if (!knownFormat(v)) pushOnce(warnings, `UNKNOWN_FORMAT:${v}`);
    } else if (k === 'pattern' && typeof v === 'string') {
      patternWarning(v, warnings);
    } else {
      if (k === 'patternProperties' && v !== null && typeof v === 'object')
        for (const p of Object.keys(v)) patternWarning(p, warnings);
      scanWarnings(v, warnings);
    }
  }
}

function patternWarning(p: string, warnings: string[]): void {
  if (!compilePattern(p).ok) pushOnce(warnings, `PATTERN_ON_V8:${p}`);
}

function pushOnce(list: string[], s: string): void {
  if (!list.includes(s)) list.push(s);
}

/** The SCHEMA gate's view of one writer document: a validator, or why there is none. */
export function compileJsonSchema(
  doc: unknown,
  engines: JsonSchemaEngines,
  warnings: string[],
): { validator?: JsonValidator; error?: string; problem?: string } {
  const r = engines.compile(doc);
  if (!r.ok) {
    if (r.ref !== undefined) warnings.push(`UNRESOLVED_REF:${r.ref}`);
    return { error: r.error, problem: r.problem };
  }
  scanWarnings(doc, warnings);
  return { validator: r.validator };
}

/**
 * Draft-04 differs from 06/07 in `id` and boolean exclusive bounds: the compatibility check
 * reads the 06/07 forms, so draft-04 documents are rewritten for it (ajv validates the original).
 */
export function normaliseDraft04(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normaliseDraft04);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (DATA_KEYWORDS.has(k)) setOwn(out, k, v);
    else if (k === 'id' && typeof v === 'string' && src.$id === undefined) out.$id = v;
    else setOwn(out, k, normaliseDraft04(v));
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
