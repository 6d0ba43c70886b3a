/**
 * TypeBox's `typebox/schema` as a JSON Schema engine. `pattern` keywords run on RE2 (TypeBox
 * takes a RegExp there and calls its `test`); TypeBox offers no such seam for
 * `patternProperties`, so those stay on V8, bounded by the enforcer's per-record budget.
 */
import Schema from 'typebox/schema';
import { installFastFormats } from './gates/formats.js';
import { compilePattern, Re2RegExp } from './gates/patterns.js';
import { DATA_KEYWORDS, setOwn } from './json-schema-walk.js';

// TypeBox validators capture their format checkers when compiled: use the fast date-time (same acceptance).
installFastFormats();

export interface TypeBoxValidator {
  Check(v: unknown): boolean;
  Errors(
    v: unknown,
  ): [boolean, { keyword: string; instancePath: string; schemaPath: string; params: Record<string, unknown> }[]];
}

/** Compiles `doc` with `context` ($id -> document) for its `$ref`s; throws what TypeBox throws. */
export function compileTypeBox(doc: unknown, context: Record<string, unknown>): TypeBoxValidator {
  // biome-ignore lint/suspicious/noExplicitAny: TypeBox's XSchema type does not describe arbitrary documents.
  return Schema.Compile(context as any, withRe2Patterns(doc) as any) as unknown as TypeBoxValidator;
}

/**
 * A copy of `node` in which every `pattern` keyword is an RE2-backed RegExp. A pattern RE2
 * cannot compile stays a string, on V8 (PATTERN_ON_V8); one not valid in Unicode mode stays
 * a string and fails TypeBox's compile (SCHEMA_DEFINITION_INVALID).
 */
export function withRe2Patterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withRe2Patterns);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(k)) setOwn(out, k, v);
    // A property *named* "pattern" holds a schema object, never a string.
    else if (k === 'pattern' && typeof v === 'string') {
      const c = unicodeValid(v) ? compilePattern(v) : null;
      setOwn(out, k, c?.ok ? new Re2RegExp(c.re, v) : v);
    } else setOwn(out, k, withRe2Patterns(v));
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
