/** The console's pure parts (src/ui/series.ts, diff.ts): they run in the browser, tested here. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffDocs } from '../../../src/ui/diff.js';
import { bucket, bucketCounts, groupByReason } from '../../../src/ui/series.js';
import type { Evidence } from '../../../src/ui/types.js';

const ev = (id: string, sec: number, result: 'PASS' | 'FAIL', codes: string[] = [], lagSec?: number): Evidence => ({
  evidence_id: id,
  timestamp: new Date(sec * 1000).toISOString(),
  dataset_urn: 'urn:dp:x:y',
  producer: { producer_id: 'p' },
  source: {
    raw_topic: 't',
    partition: 0,
    offset: 0,
    event_time: lagSec === undefined ? null : new Date((sec - lagSec) * 1000).toISOString(),
  },
  validation: { result, failed_gates: result === 'FAIL' ? ['CONTRACT'] : [], reason_codes: codes },
});

test('bucket: counts, PASS share (null when empty), median event-time lag; outside the window ignored', () => {
  const b = bucket(
    [
      ev('a', 1000, 'PASS', [], 4),
      ev('b', 1010, 'FAIL', ['X'], 10),
      ev('c', 1020, 'PASS', [], 6),
      ev('d', 1130, 'PASS'),
      ev('late', 1200, 'FAIL'),
      ev('early', 999, 'FAIL'),
    ],
    1000,
    1180,
    60,
  );
  assert.deepEqual(b.x, [1000, 1060, 1120]);
  assert.deepEqual(b.pass, [2, 0, 1]);
  assert.deepEqual(b.fail, [1, 0, 0]);
  assert.deepEqual(b.rate, [2 / 3, null, 1]);
  assert.deepEqual(b.lagSec, [6, null, null]);
});

test('groupByReason: biggest first, gates collected, newest time, at most N samples', () => {
  const g = groupByReason(
    [
      ev('1', 10, 'FAIL', ['MISSING_FIELD:a']),
      ev('2', 30, 'FAIL', ['MISSING_FIELD:a', 'TYPE_MISMATCH:b']),
      ev('3', 20, 'FAIL', ['MISSING_FIELD:a']),
      ev('4', 40, 'FAIL', ['MISSING_FIELD:a']),
      ev('5', 50, 'PASS'),
    ],
    2,
  );
  assert.deepEqual(
    g.map((x) => [x.code, x.count, x.samples, x.last]),
    [
      ['MISSING_FIELD:a', 4, ['1', '2'], new Date(40_000).toISOString()],
      ['TYPE_MISMATCH:b', 1, ['2'], new Date(30_000).toISOString()],
    ],
  );
  assert.deepEqual(g[0].gates, ['CONTRACT']);
});

test('diffDocs: changed, added and removed fields by path; server-managed fields skipped', () => {
  const a = { tier: 'TIER_1', owners: ['a'], producer_identity: { claim_field: 'x' }, version: 1 };
  const b = { tier: 'TIER_2', owners: ['a'], blessed_topic: 't', version: 2 };
  assert.deepEqual(diffDocs(a, b), [
    { path: 'blessed_topic', before: undefined, after: 't' },
    { path: 'producer_identity.claim_field', before: 'x', after: undefined },
    { path: 'tier', before: 'TIER_1', after: 'TIER_2' },
  ]);
  assert.deepEqual(diffDocs(a, a), []);
});

test('bucketCounts: per-minute counts summed into buckets; minutes outside the window ignored', () => {
  const m = (sec: number, pass: number, fail: number) => ({ minute: new Date(sec * 1000).toISOString(), pass, fail });
  const b = bucketCounts([m(0, 5, 5), m(60, 10, 0), m(3600, 1, 3), m(7200, 9, 9), m(-60, 9, 9)], 0, 7200, 3600);
  assert.deepEqual(b.x, [0, 3600]);
  assert.deepEqual(b.pass, [15, 1]);
  assert.deepEqual(b.fail, [5, 3]);
  assert.deepEqual(b.rate, [0.75, 0.25]);
  assert.deepEqual(b.lagSec, [null, null]);
});
