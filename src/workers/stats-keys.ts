/**
 * The keys of BatchStats (protocol.ts): three label values joined by NUL, a character no topic,
 * dataset urn, gate or reason code contains. Workers build them, the main thread's metrics split
 * them; this module is the only one that knows the separator. An unresolved record's dataset is ''.
 */
const SEP = '\u0000';

/** `records`: (raw topic, dataset, PASS|FAIL) -> count. */
export function recordsKey(topic: string, dataset: string, result: 'PASS' | 'FAIL'): string {
  return `${topic}${SEP}${dataset}${SEP}${result}`;
}

/** `gateFailures`: (gate, reason code base, dataset) -> count. */
export function gateFailureKey(gate: string, reasonBase: string, dataset: string): string {
  return `${gate}${SEP}${reasonBase}${SEP}${dataset}`;
}

/** The three parts of either key, in the order they were built. */
export function splitStatsKey(key: string): [string, string, string] {
  const a = key.indexOf(SEP);
  const b = key.indexOf(SEP, a + 1);
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}
