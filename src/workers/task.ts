/**
 * The Piscina worker entry: `export default (batch: RecordBatch) => BatchResult`, synchronous.
 * The compiled snapshot is cached by version; the shared snapshot JSON is decoded only when the
 * version changes (under atomics 'sync' a worker sees no messages between tasks, so the version
 * travels with every batch). The result's buffers (evidence bytes, packed verdicts) are
 * transferred back, not copied.
 */
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { reasonCodeBase } from '../models/gates.js';
import {
  decodeSnapshot,
  EvidenceWriter,
  recordCount,
  resultTransferList,
  unpackRecord,
  VerdictPacker,
} from './pack.js';
import { type CompiledSnapshot, compileSnapshot, evaluateRecord, evaluateShadow } from './pipeline.js';
import { RecordProgress } from './progress.js';
import type { BatchResult, BatchStats, RecordBatch } from './protocol.js';
import { gateFailureKey, recordsKey } from './stats-keys.js';

let cached: CompiledSnapshot | null = null;

export function compiledFor(batch: RecordBatch): { snap: CompiledSnapshot; fresh: boolean } {
  if (cached !== null && cached.version === batch.snapshotVersion) return { snap: cached, fresh: false };
  cached = compileSnapshot(decodeSnapshot(batch.snapshot));
  return { snap: cached, fresh: true };
}

/** Per-batch counters keyed by dataset then topic; turned into BatchStats once per batch. */
type Tally = Map<string, Map<string, { pass: number; fail: number }>>;

/** The Piscina entry: evaluates a batch and moves the result's buffers back to the main thread. */
export default function run(batch: RecordBatch): unknown {
  const r = evaluateBatch(batch);
  return Piscina.move({ [Piscina.transferableSymbol]: resultTransferList(r), [Piscina.valueSymbol]: r } as never);
}

export function evaluateBatch(batch: RecordBatch): BatchResult {
  const { snap, fresh } = compiledFor(batch);
  const n = recordCount(batch);
  const nowJson = JSON.stringify(new Date(batch.now).toISOString());
  const evidence = new EvidenceWriter(n);
  const verdicts = new VerdictPacker(n, batch.fullVerdicts);
  const stats: BatchStats = { records: {}, gateFailures: {}, evalMs: {} };
  if (fresh && snap.warnings.length) stats.compileWarnings = snap.warnings;
  const tally: Tally = new Map();
  const latency = new Map<string, number[]>();
  // One clock read per record: each record's time runs from the previous one's end.
  let prev = performance.now();
  const progress = batch.progress !== undefined ? new RecordProgress(batch.progress) : null;
  const origin = performance.timeOrigin;
  // Per snapshot version, not per record: without a shadow policy the loop pays one branch.
  const shadowEvidence: string[] | undefined = snap.shadows.size > 0 ? [] : undefined;
  for (let i = 0; i < n; i++) {
    progress?.began(i, origin + prev);
    const rec = unpackRecord(batch, i);
    const out = evaluateRecord(snap, rec, nowJson);
    if (shadowEvidence !== undefined) {
      const shadow = evaluateShadow(snap, rec, nowJson, out);
      if (shadow !== undefined) shadowEvidence.push(shadow);
    }
    const now = performance.now();
    const ms = now - prev;
    prev = now;
    evidence.add(out.evidence);
    verdicts.add(i, out.verdict);
    const ds = out.verdict.dataset_urn ?? '';
    let byTopic = tally.get(ds);
    if (byTopic === undefined) {
      byTopic = new Map();
      tally.set(ds, byTopic);
    }
    let c = byTopic.get(rec.topic);
    if (c === undefined) {
      c = { pass: 0, fail: 0 };
      byTopic.set(rec.topic, c);
    }
    if (out.verdict.pass) c.pass++;
    else c.fail++;
    const gates = out.verdict.failed_gates;
    for (let g = 0; g < gates.length; g++) {
      for (const code of out.gateCodes[g]) {
        const fk = gateFailureKey(gates[g], reasonCodeBase(code), ds);
        stats.gateFailures[fk] = (stats.gateFailures[fk] ?? 0) + 1;
      }
    }
    const lat = latency.get(ds);
    if (lat === undefined) latency.set(ds, [ms]);
    else lat.push(ms);
  }
  for (const [ds, byTopic] of tally) {
    for (const [topic, c] of byTopic) {
      if (c.pass) stats.records[recordsKey(topic, ds, 'PASS')] = c.pass;
      if (c.fail) stats.records[recordsKey(topic, ds, 'FAIL')] = c.fail;
    }
  }
  for (const [ds, ms] of latency) stats.evalMs[ds] = ms;
  const result: BatchResult = { ...evidence.finish(), verdicts: verdicts.finish(), stats };
  if (shadowEvidence?.length) result.shadowEvidence = shadowEvidence;
  return result;
}
