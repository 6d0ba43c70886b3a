/**
 * The Piscina worker entry: `export default (batch: RecordBatch) => BatchResult`, synchronous.
 * The compiled snapshot is cached by version; the shared snapshot JSON is decoded only when the
 * version changes (under atomics 'sync' a worker sees no messages between tasks, so the version
 * travels with every batch). The main thread wraps the result with Piscina.move.
 */
import { performance } from 'node:perf_hooks';
import { reasonCodeBase } from '../models/gates.js';
import { decodeSnapshot, packEvidence, recordCount, unpackRecord } from './pack.js';
import { type CompiledSnapshot, compileSnapshot, evaluateRecord } from './pipeline.js';
import type { BatchResult, BatchStats, RecordBatch, RecordVerdict } from './protocol.js';

let cached: CompiledSnapshot | null = null;

export function compiledFor(batch: RecordBatch): { snap: CompiledSnapshot; fresh: boolean } {
  if (cached !== null && cached.version === batch.snapshotVersion) return { snap: cached, fresh: false };
  cached = compileSnapshot(decodeSnapshot(batch.snapshot));
  return { snap: cached, fresh: true };
}

export default function run(batch: RecordBatch): BatchResult {
  const { snap, fresh } = compiledFor(batch);
  const n = recordCount(batch);
  const nowJson = `"${new Date(batch.now).toISOString()}"`;
  const docs: string[] = new Array(n);
  const verdicts: RecordVerdict[] = new Array(n);
  const stats: BatchStats = { records: {}, gateFailures: {}, evalMs: {} };
  if (fresh && snap.warnings.length) stats.compileWarnings = snap.warnings;
  for (let i = 0; i < n; i++) {
    const rec = unpackRecord(batch, i);
    const t0 = performance.now();
    const out = evaluateRecord(snap, rec, nowJson);
    const ms = performance.now() - t0;
    docs[i] = out.evidence;
    verdicts[i] = out.verdict;
    const ds = out.verdict.dataset_urn ?? '';
    const rk = `${rec.topic}\u0000${ds}\u0000${out.verdict.pass ? 'PASS' : 'FAIL'}`;
    stats.records[rk] = (stats.records[rk] ?? 0) + 1;
    const gates = out.verdict.failed_gates;
    for (let g = 0; g < gates.length; g++) {
      for (const code of out.gateCodes[g]) {
        const fk = `${gates[g]}\u0000${reasonCodeBase(code)}\u0000${ds}`;
        stats.gateFailures[fk] = (stats.gateFailures[fk] ?? 0) + 1;
      }
    }
    const lat = stats.evalMs[ds];
    if (lat === undefined) stats.evalMs[ds] = [ms];
    else lat.push(ms);
  }
  return { ...packEvidence(docs), verdicts, stats };
}
