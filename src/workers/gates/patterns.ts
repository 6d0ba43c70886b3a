/**
 * Author-supplied regular expressions (contract `pattern`s, JSON Schema `pattern`s) run on
 * RE2 (re2js: pure JavaScript, linear time in the input), never on V8's backtracking engine:
 * a pattern such as `^(a+)+$` cannot stall a worker. Patterns are written in ECMAScript syntax
 * (as JSON Schema specifies) and translated once (`\u00e9` -> `\x{00e9}` ...); what RE2 cannot
 * run (lookaround, backreferences) does not compile. The control plane refuses such a contract
 * with the same function the gate compiles with, so the API, `validate` and the gate agree.
 */
import { RE2JS } from 're2js';

/** A compiled pattern, or why it does not compile. */
export type CompiledPattern = { ok: true; re: RE2JS } | { ok: false; problem: string };

export function compilePattern(pattern: string): CompiledPattern {
  try {
    return { ok: true, re: RE2JS.compile(RE2JS.translateRegExp(pattern)) };
  } catch (err) {
    return { ok: false, problem: `not a pattern the linear-time (RE2) engine accepts: ${(err as Error).message}` };
  }
}

/** Why `pattern` is refused, or null when it compiles (control-plane and CLI validation). */
export function patternProblem(pattern: string): string | null {
  const c = compilePattern(pattern);
  return c.ok ? null : c.problem;
}

/**
 * A RegExp whose `test` runs on RE2: TypeBox accepts a RegExp as a schema's `pattern` (and then
 * calls its `test`, unanchored, as JSON Schema specifies), so a validator compiled from a schema
 * whose `pattern` strings were swapped for these never runs an author's regex on V8.
 */
export class Re2RegExp extends RegExp {
  constructor(
    private readonly re: RE2JS,
    /** The author's pattern, as written. */
    readonly text: string,
  ) {
    super('(?!)'); // V8 never runs this: every match goes through `test`.
  }
  override test(s: string): boolean {
    return this.re.test(s);
  }
  override toString(): string {
    return this.text;
  }
}
