/** Types shared by the gates and the pipeline. */

/** A raw record as the worker sees it: views into the batch's transferred buffer, no copies. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Broker/producer timestamp, ms since the epoch. */
  timestamp: number;
  key: Uint8Array | null;
  /** null is a tombstone. */
  value: Uint8Array | null;
  /** Header names and values in record order (names may repeat; the last one wins for lookups). */
  headerNames: string[];
  headerValues: Uint8Array[];
  otel: [string, string] | null;
}

/** A gate's table of the codes it can emit: code -> meaning (drives docs/reason-codes.md and tests). */
export type ReasonCodeTable = Readonly<Record<string, string>>;

/** Per gate, at most this many reason codes per record; the rest collapse into TOO_MANY_ERRORS. */
export const MAX_CODES_PER_GATE = 32;

/**
 * A flat (sequential) copy of a possibly concatenated string. V8 flattens a concatenation (a
 * rope) each time it is hashed, tested or written as bytes; strings kept and reused across
 * records (memoised evidence segments, interned finding paths) are flattened once instead.
 */
export function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** Adds `code` once; past the cap adds TOO_MANY_ERRORS and drops the rest. Returns the array. */
export function pushCode(out: string[], code: string): string[] {
  if (out.length > MAX_CODES_PER_GATE) return out;
  if (out.length === MAX_CODES_PER_GATE) {
    out.push('TOO_MANY_ERRORS');
    return out;
  }
  if (!out.includes(code)) out.push(code);
  return out;
}

const utf8 = new TextDecoder('utf-8');

/** Header value as text (last occurrence wins), or undefined when absent. */
export function headerText(rec: RawRecord, name: string): string | undefined {
  for (let i = rec.headerNames.length - 1; i >= 0; i--) {
    if (rec.headerNames[i] === name) return utf8.decode(rec.headerValues[i]);
  }
  return undefined;
}
