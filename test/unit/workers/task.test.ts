import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSnapshot, evidenceBytes, packBatch } from '../../../src/workers/pack.js';
import task, { compiledFor } from '../../../src/workers/task.js';
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
  assert.equal(r.verdicts.length, 3);
  assert.deepEqual(
    r.verdicts.map((v) => v.pass),
    [true, false, true],
  );
  assert.equal(r.verdicts[1].action, 'QUARANTINE');
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
    r.verdicts.map((v) => v.dataset_urn),
    [null, null, null],
  );
});

test('worker task: unresolved records are counted under an empty dataset', () => {
  const sab = encodeSnapshot(snapshot({ version: 12, resolution: [] }));
  const r = task(packBatch(recs.slice(0, 1), 12, sab));
  assert.equal(r.stats.gateFailures['RESOLUTION\u0000UNRESOLVED_DATASET\u0000'], 1);
});
