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
  const syntax = ecmaSyntaxProblem(pattern);
  if (syntax !== null) return { ok: false, problem: `not an ECMAScript regular expression: ${syntax}` };
  try {
    return { ok: true, re: RE2JS.compile(ecmaClasses(RE2JS.translateRegExp(pattern))) };
  } catch (err) {
    return { ok: false, problem: `not a pattern the linear-time (RE2) engine accepts: ${(err as Error).message}` };
  }
}

/**
 * The pattern must be ECMAScript (Unicode mode, else Annex B's plain mode, as the gate accepted
 * before): translateRegExp is lenient and would turn some syntax errors into literals. Compiling
 * a V8 RegExp only parses it; it never runs here. `\k<name>` is a backreference RE2 cannot run,
 * which translateRegExp would silently read as the text `k<name>`.
 */
function ecmaSyntaxProblem(pattern: string): string | null {
  for (let i = 0; i < pattern.length - 1; i++) {
    if (pattern[i] !== '\\') continue;
    if (pattern[i + 1] === 'k' && pattern[i + 2] === '<')
      return 'not a pattern the linear-time (RE2) engine accepts: named backreference \\k<...>';
    i++;
  }
  try {
    new RegExp(pattern, 'u');
    return null;
  } catch {
    try {
      new RegExp(pattern);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }
}

/** ECMAScript's white space and line terminators (\s, and what `.` does not match), in RE2 syntax. */
const ECMA_SPACE =
  '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const ECMA_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';

/**
 * Where RE2's classes differ from ECMAScript's, the pattern gets ECMAScript's: `\s`/`\S` include
 * Unicode spaces (RE2: ASCII only) and `.` excludes `\r`, U+2028 and U+2029 (RE2: only `\n`).
 * `\S` inside a bracket class keeps RE2's (ASCII) meaning: RE2 cannot negate part of a class.
 */
function ecmaClasses(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      const n = src[++i];
      if (n === 's') out += inClass ? ECMA_SPACE : `[${ECMA_SPACE}]`;
      else if (n === 'S' && !inClass) out += `[^${ECMA_SPACE}]`;
      else out += c + n;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else {
      if (c === '[') inClass = true;
      out += c === '.' ? ECMA_DOT : c;
    }
  }
  return out;
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
