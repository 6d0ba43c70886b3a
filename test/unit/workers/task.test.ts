import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Piscina } from 'piscina';
import { createLogger } from '../../../src/common/logger.js';
import { GatePool } from '../../../src/main/dispatch.js';
import {
  encodeSnapshot,
  evidenceBytes,
  packBatch,
  unpackRecord,
  verdictAction,
  verdictCount,
  verdictDataset,
  verdictDetail,
} from '../../../src/workers/pack.js';
import type { BatchResult } from '../../../src/workers/protocol.js';
import run, { compiledFor, evaluateBatch as task } from '../../../src/workers/task.js';
import { order, snapshot, TOPIC, URN } from '../gates/fixtures.js';

const bad = order();
delete bad.customer_id;
const recs = [order(), bad, order()].map((o, i) => ({
  topic: TOPIC,
  partition: 0,
  offset: i,
  timestamp: 1000,
  key: null,
  value: Buffer.from(JSON.stringify(o)),
  headers: [],
}));

test('worker task: evidence per record, verdicts and per-batch stats', () => {
  const sab = encodeSnapshot(snapshot());
  const r = task(packBatch(recs, 1, sab, 0));
  assert.equal(verdictCount(r.verdicts), 3);
  assert.deepEqual(
    [0, 1, 2].map((i) => verdictAction(r.verdicts, i)),
    ['NONE', 'QUARANTINE', 'NONE'],
  );
  assert.equal(verdictDetail(r.verdicts, 1).pass, false);
  assert.equal(verdictDetail(r.verdicts, 1).action, 'QUARANTINE');
  assert.deepEqual(Object.keys(r.verdicts.details), ['1'], 'only records with an action carry a whole verdict');
  assert.deepEqual(r.verdicts.datasets, [URN], 'one dataset entry per batch, not per record');
  const ev = [0, 1, 2].map((i) => JSON.parse(evidenceBytes(r, i).toString('utf8')));
  assert.deepEqual(
    ev.map((e) => e.source.offset),
    [0, 1, 2],
  );
  assert.equal(ev[0].timestamp, '1970-01-01T00:00:00.000Z');
  assert.deepEqual(ev[1].validation.reason_codes, ['MISSING_FIELD:customer_id']);
  assert.equal(r.stats.records[`${TOPIC}\u0000${URN}\u0000PASS`], 2);
  assert.equal(r.stats.records[`${TOPIC}\u0000${URN}\u0000FAIL`], 1);
  assert.equal(r.stats.gateFailures[`CONTRACT\u0000MISSING_FIELD\u0000${URN}`], 1);
  assert.equal(r.stats.evalMs[URN].length, 3);
});

test('worker task: recompiles only when the snapshot version changes', () => {
  const sab1 = encodeSnapshot(snapshot({ version: 10 }));
  const b1 = packBatch(recs, 10, sab1);
  const first = compiledFor(b1);
  assert.equal(compiledFor(b1).snap, first.snap);
  assert.equal(compiledFor(b1).fresh, false);
  const sab2 = encodeSnapshot(snapshot({ version: 11, resolution: [] }));
  const r = task(packBatch(recs, 11, sab2));
  assert.deepEqual(
    [0, 1, 2].map((i) => verdictDataset(r.verdicts, i)),
    [null, null, null],
  );
});

test('worker task: whole verdicts for every record when the batch asks (tracing)', () => {
  const sab = encodeSnapshot(snapshot());
  const r = task(packBatch(recs, 1, sab, 0, true));
  assert.deepEqual(
    [0, 1, 2].map((i) => verdictDetail(r.verdicts, i).pass),
    [true, false, true],
  );
});

test('worker task through the real pool: packed verdicts and stats arrive on the main thread', async () => {
  const pool = new GatePool(1, 30_000, createLogger('test', 'error'));
  try {
    const sab = encodeSnapshot(snapshot());
    const [r] = await pool.evaluate(recs, { version: 1, buffer: sab }, 0);
    assert.equal(verdictCount(r.verdicts), 3);
    assert.equal(verdictAction(r.verdicts, 1), 'QUARANTINE');
    assert.equal(r.stats.records[`${TOPIC}\u0000${URN}\u0000PASS`], 2);
    assert.equal(JSON.parse(evidenceBytes(r, 2).toString('utf8')).source.offset, 2);
  } finally {
    await pool.close();
  }
});

test('worker task: the result moves its buffers back (transferred, not cloned)', () => {
  const sab = encodeSnapshot(snapshot());
  const moved = run(packBatch(recs, 1, sab, 0)) as Record<symbol, unknown>;
  const value = moved[Piscina.valueSymbol] as BatchResult;
  const list = moved[Piscina.transferableSymbol] as ArrayBuffer[];
  assert.ok(list.includes(value.evidence));
  assert.ok(list.includes(value.verdicts.action.buffer as ArrayBuffer));
  assert.ok(list.includes(value.evidenceSpans.buffer as ArrayBuffer));
});

test('packBatch: header names interned per batch; no otel array without trace context', () => {
  const withHeaders = recs.map((r, i) => ({
    ...r,
    headers: [
      ['producer-id', Buffer.from(`p${i}`)],
      ['b', Buffer.from('x')],
    ] as Array<[string, Buffer]>,
  }));
  const b = packBatch(withHeaders, 1, encodeSnapshot(snapshot()), 0);
  assert.deepEqual(b.headerNameList, ['producer-id', 'b']);
  assert.equal(b.otel, null);
  const rec = unpackRecord(b, 2);
  assert.deepEqual(rec.headerNames, ['producer-id', 'b']);
  assert.equal(Buffer.from(rec.headerValues[0]).toString(), 'p2');
  assert.equal(rec.otel, null);
});

test('worker task: unresolved records are counted under an empty dataset', () => {
  const sab = encodeSnapshot(snapshot({ version: 12, resolution: [] }));
  const r = task(packBatch(recs.slice(0, 1), 12, sab));
  assert.equal(r.stats.gateFailures['RESOLUTION\u0000UNRESOLVED_DATASET\u0000'], 1);
});
