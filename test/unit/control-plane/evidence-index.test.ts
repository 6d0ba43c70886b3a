import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvidence } from '../../../src/control-plane/evidence/consumer.js';
import { SHARDS, shardOf } from '../../../src/control-plane/evidence/dynamodb-index.js';
import {
  countAbove,
  countGroups,
  type IndexedEvidence,
  matches,
  minuteOf,
} from '../../../src/control-plane/evidence/index-store.js';
import { SqliteEvidenceIndex } from '../../../src/control-plane/evidence/sqlite-index.js';
import type { EvidenceEvent } from '../../../src/models/index.js';

const ev = (id: string, ts: string, urn: string | null, result: 'PASS' | 'FAIL'): EvidenceEvent => ({
  evidence_id: id,
  timestamp: ts,
  stage: 'OBSERVED_RAW',
  dataset_urn: urn,
  producer: { producer_id: null, identity_confidence: 'NONE' },
  source: { raw_topic: 't', partition: 0, offset: Number(id.slice(1)), key: null, event_time: ts },
  schema: { schema_id: null },
  contract: { contract_id: null },
  validation: {
    result,
    failed_gates: result === 'FAIL' ? ['CONTRACT'] : [],
    reason_codes: result === 'FAIL' ? ['MISSING_FIELD:a'] : [],
  },
  otel: { trace_id: null, span_id: null },
  fingerprints: { payload_hash: null, schema_fingerprint: null },
});
/** As consumed: evidence partition 0, offsets in order. */
const consumed = (events: EvidenceEvent[], from = 0): IndexedEvidence[] =>
  events.map((event, i) => ({ event, partition: 0, offset: from + i }));

// Recent timestamps: the index drops what is past its retention.
const t0 = Date.parse(minuteOf(new Date(Date.now() - 3_600_000).toISOString()));
const at = (sec: number) => new Date(t0 + sec * 1000).toISOString();

test('index: keeps FAIL evidence only, idempotent, filters, newest-first cursor pages', async () => {
  const idx = new SqliteEvidenceIndex(':memory:');
  const events = [
    ev('e1', at(1), 'urn:dp:a:b', 'PASS'),
    ev('e2', at(2), 'urn:dp:a:b', 'FAIL'),
    ev('e3', at(2), null, 'FAIL'),
    ev('e4', at(3.5), 'urn:dp:c:d', 'FAIL'),
    ev('e5', at(4), 'urn:dp:c:d', 'FAIL'),
  ];
  assert.deepEqual(await idx.insert(consumed(events)), { stored: 4, counted: 5 });
  assert.deepEqual(await idx.insert(consumed(events.slice(0, 2))), { stored: 0, counted: 0 }, 'redelivery');
  const ids = async (q: Parameters<typeof idx.query>[0]) => (await idx.query(q)).items.map((e) => e.evidence_id);
  assert.deepEqual(await ids({ limit: 10 }), ['e5', 'e4', 'e3', 'e2'], 'no PASS rows');
  assert.deepEqual(await ids({ limit: 10, result: 'PASS' }), []);
  assert.deepEqual(await ids({ limit: 10, dataset_urn: 'urn:dp:a:b' }), ['e2']);
  assert.deepEqual(await ids({ limit: 10, since: at(2) }), ['e5', 'e4', 'e3', 'e2'], 'since compares times');
  assert.deepEqual(await ids({ limit: 10, raw_topic: 't', partition: 0, offset: 4 }), ['e4'], 'by coordinates');
  const p1 = await idx.query({ limit: 2 });
  assert.deepEqual(await ids({ limit: 2, cursor: p1.next_cursor! }), ['e3', 'e2']);
  assert.equal((await idx.get('e1'))?.evidence_id, undefined, 'PASS evidence is counted, not kept');
  assert.equal((await idx.get('e4'))?.evidence_id, 'e4');
  await idx.close();
});

test('index: per-minute counts count each evidence offset once, across overlapping redeliveries', async () => {
  const idx = new SqliteEvidenceIndex(':memory:');
  const urn = 'urn:dp:a:b';
  const events = [
    ev('e1', at(1), urn, 'PASS'),
    ev('e2', at(2), urn, 'FAIL'),
    ev('e3', at(61), urn, 'PASS'),
    ev('e4', at(62), urn, 'PASS'),
  ];
  const all = consumed(events, 100);
  await idx.insert(all.slice(0, 3));
  // After a crash the consumer resumes at the committed offset with other batch boundaries.
  await idx.insert(all.slice(1, 4));
  await idx.insert(all);
  const counts = await idx.counts({ dataset_urn: urn, since: at(0), until: at(3600) });
  assert.deepEqual(counts, [
    { minute: at(0), pass: 1, fail: 1 },
    { minute: at(60), pass: 2, fail: 0 },
  ]);
  assert.deepEqual(await idx.counts({ dataset_urn: urn, since: at(60), until: at(3600) }), [counts[1]]);
  await idx.close();
});

test('index: retention in days deletes older FAIL evidence and counts; older events are not stored', async () => {
  const idx = new SqliteEvidenceIndex(':memory:', { retentionDays: 1 });
  const old = new Date(Date.now() - 2 * 86_400_000).toISOString();
  await idx.insert(consumed([ev('e1', old, 'urn:dp:a:b', 'FAIL'), ev('e2', at(1), 'urn:dp:a:b', 'FAIL')]));
  assert.equal(idx.count(), 1, 'the two-day-old event is past a one-day retention');
  idx.prune(Date.now() + 86_400_000);
  assert.equal(idx.count(), 0, 'a day later the recent one is gone too');
  assert.deepEqual(await idx.counts({ dataset_urn: 'urn:dp:a:b', since: old, until: at(3600) }), []);
  await idx.close();
});

test('countGroups and countAbove: group per (dataset, minute, evidence partition), count above hi', () => {
  const batch = consumed([ev('e1', at(1), 'urn:dp:a:b', 'PASS'), ev('e2', at(2), null, 'FAIL')], 10);
  batch.push({ event: ev('e3', at(3), 'urn:dp:a:b', 'FAIL'), partition: 0, offset: 12 });
  const groups = countGroups(batch);
  assert.equal(groups.length, 2);
  const ab = groups.find((g) => g.dataset === 'urn:dp:a:b')!;
  assert.deepEqual(countAbove(ab, null), { pass: 1, fail: 1, hi: 12 });
  assert.deepEqual(countAbove(ab, 10), { pass: 0, fail: 1, hi: 12 });
  assert.equal(countAbove(ab, 12), null);
  assert.equal(groups.find((g) => g.dataset === '(none)')?.entries.length, 1);
});

test('matches: every filter, bare codes match CODE:<path>, codes are case-sensitive', () => {
  const e = ev('e7', at(1), 'urn:dp:a:b', 'FAIL');
  assert.ok(matches(e, { limit: 1, reason_code: 'MISSING_FIELD' }));
  assert.ok(matches(e, { limit: 1, reason_code: 'MISSING_FIELD:a' }));
  assert.ok(!matches(e, { limit: 1, reason_code: 'MISSING_FIELD:b' }));
  assert.ok(!matches(e, { limit: 1, reason_code: 'missing_field' }));
  assert.ok(!matches(e, { limit: 1, reason_code: 'MISSING' }));
  assert.ok(matches(e, { limit: 1, gate: 'CONTRACT', raw_topic: 't', partition: 0, offset: 7 }));
  assert.ok(!matches(e, { limit: 1, offset: 8 }));
  assert.ok(!matches(e, { limit: 1, producer: 'x' }));
  assert.ok(!matches(e, { limit: 1, result: 'PASS' }));
});

test('shardOf: stable and spread over every shard', () => {
  assert.equal(shardOf('evd-1'), shardOf('evd-1'));
  const seen = new Set(Array.from({ length: 1000 }, (_, i) => shardOf(`evd-${i}`)));
  assert.equal(seen.size, SHARDS);
});

test('parseEvidence accepts only evidence events', () => {
  const e = ev('e1', at(1), null, 'PASS');
  assert.deepEqual(parseEvidence(Buffer.from(JSON.stringify(e))), e);
  assert.equal(parseEvidence(Buffer.from('{"evidence_id":"x"}')), undefined);
  assert.equal(parseEvidence(Buffer.from('not json')), undefined);
  assert.equal(parseEvidence(null), undefined);
});
