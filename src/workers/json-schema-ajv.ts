/**
 * ajv engines, one class per draft (draft-04: ajv-draft-04; 06/07: ajv; 2019-09: ajv/dist/2019;
 * 2020-12: ajv/dist/2020). Every regular expression (`pattern`, `patternProperties`) runs on RE2
 * through ajv's `code.regExp` seam; formats are TypeBox's checkers (the CONTRACT gate's), so
 * both gates and both engines accept the same strings.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { RE2JS } from 're2js';
import { Format } from 'typebox/format';
import { formatChecker } from './gates/formats.js';
import { compilePattern } from './gates/patterns.js';
import type { Draft } from './json-schema-draft.js';

// ajv and its draft variants are CommonJS with `exports.default`.
const require = createRequire(import.meta.url);
export interface Ajv {
  compile(schema: unknown): ValidateFunction;
  addSchema(schema: unknown, key?: string): unknown;
  addMetaSchema(schema: unknown): unknown;
  addFormat(name: string, check: (s: string) => boolean): unknown;
  getSchema(id: string): ValidateFunction | undefined;
  validateSchema(schema: unknown): boolean | Promise<unknown>;
  errors?: ErrorObject[] | null;
}
type AjvCtor = new (opts: Options) => Ajv;
const Ajv07 = require('ajv').default as AjvCtor;
const Ajv2019 = require('ajv/dist/2019').default as AjvCtor;
const Ajv2020 = require('ajv/dist/2020').default as AjvCtor;
const Ajv04 = require('ajv-draft-04').default as AjvCtor;
const DRAFT06_META = require('ajv/dist/refs/json-schema-draft-06.json');

/** An RE2 pattern as ajv uses one: `test`, and `toString` as the key ajv caches patterns by. */
class Re2Pattern {
  constructor(
    private readonly re: RE2JS,
    private readonly key: string,
  ) {}
  test(s: string): boolean {
    return this.re.test(s);
  }
  toString(): string {
    return this.key;
  }
}

/** RE2 behind ajv's regExp seam: ajv calls it once per distinct pattern and keeps the result. */
function re2Engine(pattern: string, flags: string): { test(s: string): boolean } {
  new RegExp(pattern, flags); // parsed, never run: JSON Schema patterns are Unicode-mode ECMAScript
  const c = compilePattern(pattern);
  if (c.ok) return new Re2Pattern(c.re, `/${pattern}/${flags}`);
  return new RegExp(pattern, flags); // RE2 cannot run it: V8 (PATTERN_ON_V8)
}
re2Engine.code = 'sfRe2Engine'; // named only in ajv's standalone code, which we do not generate

/**
 * `checksMeta`: whether compile() checks documents against the meta-schema. Compiling the
 * meta-schema costs ~80 ms per instance, so the per-snapshot engines leave it to one
 * process-wide checker per draft.
 */
export function newAjv(draft: Draft, allErrors: boolean, checksMeta = false): Ajv {
  const opts: Options = {
    allErrors,
    validateSchema: checksMeta,
    strict: false,
    logger: false,
    validateFormats: true,
    // `required` and friends must not see Object.prototype (`toString`, `constructor`).
    ownProperties: true,
    code: { regExp: re2Engine as unknown as NonNullable<Options['code']>['regExp'] },
  };
  const Ctor = draft === 'draft-04' ? Ajv04 : draft === '2019-09' ? Ajv2019 : draft === '2020-12' ? Ajv2020 : Ajv07;
  const ajv = new Ctor(opts);
  if (draft === 'draft-06') ajv.addMetaSchema(DRAFT06_META);
  for (const [name] of Format.Entries()) {
    const check = formatChecker(name);
    if (check) ajv.addFormat(name, check);
  }
  return ajv;
}

/** The meta-schema documents ajv ships, for engines that resolve `$ref`s to them (TypeBox). */
export function metaSchemas(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [require('ajv-draft-04/dist/refs/json-schema-draft-04.json'), DRAFT06_META];
  out.push(require('ajv/dist/refs/json-schema-draft-07.json'));
  for (const draft of ['2019-09', '2020-12']) {
    out.push(require(`ajv/dist/refs/json-schema-${draft}/schema.json`));
    const metaDir = `ajv/dist/refs/json-schema-${draft}/meta/`;
    const parts =
      draft === '2019-09'
        ? ['core', 'applicator', 'validation', 'meta-data', 'format', 'content']
        : ['core', 'applicator', 'unevaluated', 'validation', 'meta-data', 'format-annotation', 'content'];
    for (const p of parts) out.push(require(`${metaDir}${p}.json`));
  }
  return out;
}
