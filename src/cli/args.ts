/**
 * What every command shares for its arguments: node's `util.parseArgs`, one error class for
 * usage mistakes, and "did you mean". Commands throw UsageError (or ConfigError for a bad
 * variable or file); `main` prints either as `signal-factory <command>: [CODE] message` on
 * stderr and exits 2, so every command fails the same way.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../common/config.js';

export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** Exit code of a usage or configuration error (INTERFACE.md). */
export const USAGE_EXIT = 2;

/** Codes that mean "the invocation or its configuration is wrong" (exit 2). */
export function isUsageOrConfig(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'USAGE' || code === 'CONFIG_INVALID';
}

/** Edit distance (insert, delete, substitute), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate within a third of the word's length (at least 1, at most 3 edits), or a unique prefix match. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => c.startsWith(word));
  if (word.length >= 2 && prefixed.length === 1) return prefixed[0];
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

export const didYouMean = (word: string, candidates: readonly string[], quote = (s: string) => s): string => {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean ${quote(c)}?`;
};

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` in strict mode, its errors turned into UsageErrors that name the option
 * (and the closest known one for a typo). `--help`/`-h` is added to every command.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  try {
    return parseArgs({ args: argv, options: all, allowPositionals, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw err;
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(e.message);
    if (unknown) {
      const names = Object.keys(all).map((n) => `--${n}`);
      throw new UsageError(`unknown option ${unknown[1]}${didYouMean(unknown[1], names)}`);
    }
    const positional = /^Unexpected argument '([^']*)'/.exec(e.message);
    if (positional) throw new UsageError(`unexpected argument "${positional[1]}"`);
    // e.g. "Option '--policy <value>' argument missing": already names the option.
    throw new UsageError(e.message.replace(/\.$/, ''));
  }
}

/** An enum-valued option (`--x`) or variable (`SF_X`): the error lists the allowed values. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const message = `${name} must be one of ${allowed.join(', ')}; got "${value}"`;
  throw name.startsWith('-') ? new UsageError(message) : new ConfigError(message);
}
