/**
 * Stage 1's output: the evidence of one (dataset, bucket) folded from one consumed span of one
 * evidence partition. Counts only add, so partials merge in any order (stage 2, window.ts).
 * `id` is deterministic from (dataset, bucket, evidence partition, offset span).
 */
import type { EvidenceEvent } from '../models/index.js';

/** Upper bounds (seconds) of the event-time lag histogram; the last bucket is open-ended. */
export const LAG_BOUNDS_SEC = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, Number.POSITIVE_INFINITY];
export const MAX_SAMPLES = 10;

/** Additive counts of evidence: one bucket of one dataset. */
export interface Counts {
  pass: number;
  fail: number;
  fail_by_gate: Record<string, number>;
  /** Keyed by reason-code base (the part before ':'). */
  fail_by_reason: Record<string, number>;
  /** Keyed by producer id; records without one count under NO_PRODUCER. */
  fail_by_producer: Record<string, number>;
  low_confidence: number;
  producer_mismatch: number;
  pii_findings: number;
  pii_undeclared: number;
  /** Newest evidence timestamp / source.event_time (epoch ms), 0 when none. */
  last_seen: number;
  last_event_time: number;
  lag_hist: number[];
  /** Newest FAIL evidence ids, at most MAX_SAMPLES. */
  samples: string[];
}

export interface PartialAggregate extends Counts {
  id: string;
  dataset_urn: string;
  /** Bucket start, epoch ms. */
  bucket: number;
  source: { partition: number; from: number; to: number };
  /** When stage 1 published it (epoch ms): the reference for allowed lateness. */
  folded_at: number;
}

export const NO_PRODUCER = '(none)';

export function emptyCounts(): Counts {
  return {
    pass: 0,
    fail: 0,
    fail_by_gate: {},
    fail_by_reason: {},
    fail_by_producer: {},
    low_confidence: 0,
    producer_mismatch: 0,
    pii_findings: 0,
    pii_undeclared: 0,
    last_seen: 0,
    last_event_time: 0,
    lag_hist: LAG_BOUNDS_SEC.map(() => 0),
    samples: [],
  };
}

const inc = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

export const reasonBase = (code: string) => {
  const i = code.indexOf(':');
  return i < 0 ? code : code.slice(0, i);
};

export function lagBucket(lagSec: number): number {
  let i = 0;
  while (lagSec > LAG_BOUNDS_SEC[i]) i++;
  return i;
}

/** Adds one evidence event (whose timestamps are already parsed) to `c`. */
export function foldEvent(c: Counts, e: EvidenceEvent, seenMs: number, eventMs: number): void {
  const v = e.validation;
  if (v.result === 'PASS') c.pass++;
  else {
    c.fail++;
    for (const g of v.failed_gates) inc(c.fail_by_gate, g);
    // A code can repeat in one record (docs/reason-codes.md): count each base once per record.
    const bases = new Set(v.reason_codes.map(reasonBase));
    for (const b of bases) inc(c.fail_by_reason, b);
    inc(c.fail_by_producer, e.producer.producer_id ?? NO_PRODUCER);
    c.samples.push(e.evidence_id);
    if (c.samples.length > MAX_SAMPLES) c.samples.shift();
    if (bases.has('PRODUCER_MISMATCH')) c.producer_mismatch++;
    if (bases.has('UNDECLARED_PII')) c.pii_undeclared++;
  }
  if (e.producer.identity_confidence === 'LOW') c.low_confidence++;
  if (e.pii_findings && e.pii_findings.length > 0) c.pii_findings++;
  if (seenMs > c.last_seen) c.last_seen = seenMs;
  if (eventMs > c.last_event_time) c.last_event_time = eventMs;
  if (Number.isFinite(eventMs) && Number.isFinite(seenMs))
    c.lag_hist[lagBucket(Math.max(0, seenMs - eventMs) / 1000)]++;
}

/** Adds `from` into `into` (both additive; samples keep the newest MAX_SAMPLES). */
export function mergeCounts(into: Counts, from: Counts): void {
  into.pass += from.pass;
  into.fail += from.fail;
  for (const [k, n] of Object.entries(from.fail_by_gate)) inc(into.fail_by_gate, k, n);
  for (const [k, n] of Object.entries(from.fail_by_reason)) inc(into.fail_by_reason, k, n);
  for (const [k, n] of Object.entries(from.fail_by_producer)) inc(into.fail_by_producer, k, n);
  into.low_confidence += from.low_confidence;
  into.producer_mismatch += from.producer_mismatch;
  into.pii_findings += from.pii_findings;
  into.pii_undeclared += from.pii_undeclared;
  into.last_seen = Math.max(into.last_seen, from.last_seen);
  into.last_event_time = Math.max(into.last_event_time, from.last_event_time);
  for (let i = 0; i < into.lag_hist.length; i++) into.lag_hist[i] += from.lag_hist[i] ?? 0;
  if (from.samples.length > 0) into.samples = [...into.samples, ...from.samples].slice(-MAX_SAMPLES);
}

export function partialId(dataset: string, bucket: number, source: PartialAggregate['source']): string {
  return JSON.stringify([dataset, bucket, source.partition, source.from, source.to]);
}
