/**
 * The evidence index: FAIL evidence kept for a retention in days, plus per-minute PASS/FAIL counts
 * per dataset, filled from `signal_factory.evidence` (GET /v1/evidence...). One interface, two
 * stores (docs/evidence.md says why each):
 *   - `sqlite:<path>`: embedded, one machine, each replica its own index;
 *   - `dynamodb:<table-prefix>`: shared by every replica (EKS), expiry by DynamoDB TTL.
 *
 * Both count each raw record once under at-least-once delivery (docs/evidence.md, "Counted once"):
 *   - FAIL evidence is keyed by evidence_id;
 *   - an evidence re-emitted by an enforcer (same raw coordinates, a later evidence offset) is a
 *     repeat by its raw partition's watermark (count-dedup.ts) and is not counted;
 *   - the watermarks and the next evidence offset of each evidence partition are a checkpoint
 *     stored with the counts, so a restarted consumer resumes with the same decisions;
 *   - a count item per (dataset, minute, evidence partition) remembers the highest evidence
 *     offset it counted, so a batch applied again (DynamoDB: counts written, checkpoint not) adds nothing.
 */
import type { EvidenceEvent } from '../../models/index.js';
import type { Page } from '../store/types.js';

export interface EvidenceQuery {
  dataset_urn?: string;
  result?: 'PASS' | 'FAIL';
  /** ISO timestamp: events with timestamp >= since. */
  since?: string;
  /** ISO timestamp: events with timestamp < until. */
  until?: string;
  /** A gate in validation.failed_gates. */
  gate?: string;
  /** `CODE:path` matches exactly; a bare `CODE` also matches every `CODE:<path>`. */
  reason_code?: string;
  raw_topic?: string;
  /** With raw_topic and offset: the raw record's coordinates. */
  partition?: number;
  offset?: number;
  /** producer.producer_id */
  producer?: string;
  limit: number;
  cursor?: string;
}

/** One consumed evidence event and where it sits on the evidence topic (for idempotent counts). */
export interface IndexedEvidence {
  event: EvidenceEvent;
  /** Partition and offset of the evidence message (not of the raw record). */
  partition: number;
  offset: number;
  /** The raw record was already counted (an enforcer re-emission): stored if FAIL, not counted again. */
  repeat?: boolean;
}

/** One raw partition's highest counted offset: [raw topic, raw partition, raw offset]. */
export type RawMark = [string, number, number];

/**
 * Where the counting of one evidence partition stands: every offset below `next` is counted, and
 * `raw` are the raw watermarks after it. Stored with the counts (SQLite: in the same transaction).
 */
export interface CountCheckpoint {
  topic: string;
  partition: number;
  next: number;
  raw: RawMark[];
}

export interface MinuteCount {
  /** Start of the minute, ISO (`2026-01-13T12:00:00.000Z`). */
  minute: string;
  pass: number;
  fail: number;
}

export interface CountsQuery {
  dataset_urn: string;
  since: string;
  until: string;
}

export interface InsertResult {
  /** FAIL events stored (new or rewritten). */
  stored: number;
  /** Events newly counted (redelivered ones are not). */
  counted: number;
}

export interface EvidenceIndex {
  readonly kind: 'sqlite' | 'dynamodb';
  /** Days FAIL evidence and counts are kept. */
  readonly retentionDays: number;
  /** Stores the batch's FAIL evidence and counts, then the checkpoints (which only move forward). */
  insert(batch: readonly IndexedEvidence[], checkpoints?: readonly CountCheckpoint[]): Promise<InsertResult>;
  /** The stored checkpoint of an evidence partition, if any. */
  checkpoint(topic: string, partition: number): Promise<CountCheckpoint | undefined>;
  query(q: EvidenceQuery): Promise<Page<EvidenceEvent>>;
  get(evidenceId: string): Promise<EvidenceEvent | undefined>;
  counts(q: CountsQuery): Promise<MinuteCount[]>;
  close(): Promise<void>;
}

/** The dataset key of an event that resolved to no dataset (DynamoDB keys cannot be empty). */
export const NO_DATASET = '(none)';
export const datasetKey = (urn: string | null): string => urn ?? NO_DATASET;

/** Timestamps are compared as strings: normalise to one ISO form so that order is time order. */
export function isoTs(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toISOString();
}

/** The start of ts's minute, ISO. */
export function minuteOf(ts: string): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  d.setUTCSeconds(0, 0);
  return d.toISOString();
}

/** The raw record's coordinates as one key (Kafka topic names never contain '/'). */
export const sourceKey = (topic: string, partition: number, offset: number): string =>
  `${topic}/${partition}/${offset}`;

/** Timestamp before which evidence is out of retention. */
export const retentionCutoff = (days: number, now = Date.now()): string =>
  new Date(now - days * 86_400_000).toISOString();

/** One count item's share of a batch: its entries in evidence-offset order. */
export interface CountGroup {
  dataset: string;
  minute: string;
  partition: number;
  entries: { offset: number; fail: boolean }[];
}

/** Groups a batch by (dataset, minute, evidence partition); offsets ascend within each group. */
export function countGroups(batch: readonly IndexedEvidence[]): CountGroup[] {
  const groups = new Map<string, CountGroup>();
  for (const b of batch) {
    if (b.repeat) continue;
    const dataset = datasetKey(b.event.dataset_urn);
    const minute = minuteOf(b.event.timestamp);
    const k = JSON.stringify([dataset, minute, b.partition]);
    let g = groups.get(k);
    if (!g) {
      g = { dataset, minute, partition: b.partition, entries: [] };
      groups.set(k, g);
    }
    g.entries.push({ offset: b.offset, fail: b.event.validation.result === 'FAIL' });
  }
  for (const g of groups.values()) g.entries.sort((a, b) => a.offset - b.offset);
  return [...groups.values()];
}

/** What a group adds to an item that already counted every offset <= hi (null: nothing yet). */
export function countAbove(g: CountGroup, hi: number | null): { pass: number; fail: number; hi: number } | null {
  let pass = 0;
  let fail = 0;
  for (const e of g.entries) {
    if (hi !== null && e.offset <= hi) continue;
    if (e.fail) fail++;
    else pass++;
  }
  if (pass + fail === 0) return null;
  return { pass, fail, hi: g.entries[g.entries.length - 1].offset };
}

/** Whether an event matches the query's filters (time and cursor excepted): one definition for every store. */
export function matches(e: EvidenceEvent, q: EvidenceQuery): boolean {
  if (q.dataset_urn !== undefined && e.dataset_urn !== q.dataset_urn) return false;
  if (q.result !== undefined && e.validation.result !== q.result) return false;
  if (q.raw_topic !== undefined && e.source.raw_topic !== q.raw_topic) return false;
  if (q.partition !== undefined && e.source.partition !== q.partition) return false;
  if (q.offset !== undefined && e.source.offset !== q.offset) return false;
  if (q.producer !== undefined && e.producer.producer_id !== q.producer) return false;
  if (q.gate !== undefined && !e.validation.failed_gates.includes(q.gate)) return false;
  if (q.reason_code !== undefined) {
    const code = q.reason_code;
    const prefix = `${code}:`;
    const exact = code.includes(':');
    if (!e.validation.reason_codes.some((r) => r === code || (!exact && r.startsWith(prefix)))) return false;
  }
  return true;
}
