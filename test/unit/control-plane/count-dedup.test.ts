/**
 * Exact per-minute counts under at-least-once (CountDedup with the SQLite index): an enforcer's
 * re-sends are not counted, and a consumer that restarts from an older offset than its checkpoint
 * (offsets not committed) neither counts twice nor forgets the watermarks of what it counted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEvidence } from '../../../src/control-plane/evidence/consumer.js';
import { CountDedup } from '../../../src/control-plane/evidence/count-dedup.js';
import { minuteOf } from '../../../src/control-plane/evidence/index-store.js';
import { SqliteEvidenceIndex } from '../../../src/control-plane/evidence/sqlite-index.js';
import type { EvidenceEvent } from '../../../src/models/index.js';

const URN = 'urn:dp:a:b';
const t0 = Date.parse(minuteOf(new Date(Date.now() - 3_600_000).toISOString()));
const at = (sec: number) => new Date(t0 + sec * 1000).toISOString();

/** The evidence of raw record (t, rawPartition, rawOffset): FAIL when the offset is a multiple of 3. */
function evidence(rawPartition: number, rawOffset: number, policyVersion = 1): EvidenceEvent {
  const fail = rawOffset % 3 === 0;
  return {
    evidence_id: `evd-${rawPartition}-${rawOffset}-v${policyVersion}`,
    timestamp: at(rawOffset),
    stage: 'OBSERVED_RAW',
    dataset_urn: URN,
    producer: { producer_id: null, identity_confidence: 'NONE' },
    source: { raw_topic: 't', partition: rawPartition, offset: rawOffset, key: null, event_time: at(0) },
    schema: { schema_id: null },
    contract: { contract_id: null },
    validation: {
      result: fail ? 'FAIL' : 'PASS',
      failed_gates: fail ? ['CONTRACT'] : [],
      reason_codes: fail ? ['MISSING_FIELD:a'] : [],
    },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
    policy_version: policyVersion,
  };
}

/** The evidence partition's log: messages at offsets 0.. */
const log = (events: (EvidenceEvent | string)[]) =>
  events.map((e, offset) => ({
    partition: 0,
    offset,
    value: Buffer.from(typeof e === 'string' ? e : JSON.stringify(e)),
  }));

/** One consume-and-insert round, as the consumer does it. */
async function round(index: SqliteEvidenceIndex, dedup: CountDedup, batch: ReturnType<typeof log>) {
  await dedup.prepare(new Set(batch.map((m) => m.partition)));
  const d = dedup.decideBatch(batch, parseEvidence);
  const r = d.touched.size > 0 ? await index.insert(d.events, dedup.checkpoints(d.touched)) : { counted: 0 };
  return { ...d, counted: r.counted };
}

const total = async (index: SqliteEvidenceIndex) => {
  const rows = await index.counts({ dataset_urn: URN, since: at(0), until: at(3600) });
  return rows.reduce((s, m) => ({ pass: s.pass + m.pass, fail: s.fail + m.fail }), { pass: 0, fail: 0 });
};

test('counts: an enforcer re-send (same raw records, later evidence offsets) is not counted again', async () => {
  const index = new SqliteEvidenceIndex(':memory:');
  const dedup = new CountDedup('ev', (topic, p) => index.checkpoint(topic, p));
  // Raw partitions 0 and 1 interleaved; the enforcer crashes after 0..5 and re-sends 3..5 of partition 0.
  const stream = log([
    ...[0, 1, 2, 3, 4, 5].map((o) => evidence(0, o)),
    evidence(1, 0),
    ...[3, 4, 5].map((o) => evidence(0, o)),
    'not evidence',
    ...[6, 7].map((o) => evidence(0, o)),
    evidence(1, 0),
    evidence(1, 1),
  ]);
  const r = await round(index, dedup, stream);
  assert.equal(r.counted, 10, '8 records of partition 0 and 2 of partition 1');
  assert.equal(r.rejected, 1);
  assert.deepEqual(
    r.events.filter((e) => e.repeat).map((e) => e.offset),
    [7, 8, 9, 13],
  );
  assert.deepEqual(await total(index), { pass: 6, fail: 4 }, 'fail: raw offsets 0, 3, 6 of p0 and 0 of p1');
  assert.deepEqual(await index.checkpoint('ev', 0), {
    topic: 'ev',
    partition: 0,
    next: 15,
    raw: [
      ['t', 0, 7],
      ['t', 1, 1],
    ],
  });
  // A re-evaluation under another policy version: a new FAIL row (findable), not a new record.
  const again = await round(index, dedup, [{ ...log([evidence(0, 6, 2)])[0], offset: 15 }]);
  assert.equal(again.counted, 0);
  assert.equal((await index.get('evd-0-6-v2'))?.policy_version, 2);
  await index.close();
});

test('counts: a restart that re-reads from before its checkpoint counts nothing twice and keeps its watermarks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-count-dedup-'));
  const path = join(dir, 'index.db');
  try {
    const before = [0, 1, 2, 3, 4].map((o) => evidence(0, o));
    // After the restart: the crashed enforcer's re-send of 2..4 (originals counted before the restart), then new records.
    const after = [2, 3, 4, 5, 6].map((o) => evidence(0, o));
    const stream = log([...before, ...after]);
    let index = new SqliteEvidenceIndex(path);
    await round(index, new CountDedup('ev', (t, p) => index.checkpoint(t, p)), stream.slice(0, 3));
    await round(index, new CountDedup('ev', (t, p) => index.checkpoint(t, p)), stream.slice(3, 5));
    assert.deepEqual(await total(index), { pass: 3, fail: 2 });
    await index.close();

    // The control plane restarts; no offset was committed, so the consumer reads from 0 again.
    index = new SqliteEvidenceIndex(path);
    const dedup = new CountDedup('ev', (t, p) => index.checkpoint(t, p));
    const r = await round(index, dedup, stream.slice(0, 8));
    assert.equal(r.counted, 0, 'offsets 0..4 are below the checkpoint; 5..7 re-send raw 2..4');
    assert.deepEqual(r.next.get(0), 8, 'the skipped offsets are stored all the same');
    const r2 = await round(index, dedup, stream.slice(8));
    assert.equal(r2.counted, 2, 'raw 5 and 6 are new');
    assert.deepEqual(await total(index), { pass: 4, fail: 3 }, 'raw offsets 0..6 once each: fail 0, 3, 6');
    await index.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('counts: checkpoints only move forward (a member that lost the partition cannot move it back)', async () => {
  const index = new SqliteEvidenceIndex(':memory:');
  await index.insert([], [{ topic: 'ev', partition: 0, next: 10, raw: [['t', 0, 9]] }]);
  await index.insert([], [{ topic: 'ev', partition: 0, next: 4, raw: [['t', 0, 3]] }]);
  assert.equal((await index.checkpoint('ev', 0))?.next, 10);
  assert.equal(await index.checkpoint('ev', 1), undefined);
  const dedup = new CountDedup(
    'ev',
    (t, p) => index.checkpoint(t, p),
    (p) => p === 0,
  );
  await dedup.prepare([0, 1]);
  assert.equal(dedup.done(0, 9), true);
  assert.throws(() => dedup.done(1, 0), /not prepared/, 'a partition not assigned is not loaded');
  await index.close();
});
