import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterPage, hasFilter, matches } from '../../../src/control-plane/dataset-filter.js';
import { encodeCursor } from '../../../src/control-plane/store/types.js';
import type { DatasetPolicy } from '../../../src/models/index.js';

const p = (urn: string, over: Partial<DatasetPolicy> = {}): DatasetPolicy => ({
  dataset_urn: urn,
  enforcement_mode: 'ALERT_ONLY',
  pii_policy: 'ALLOW',
  owners: ['orders-team'],
  tier: 'TIER_2',
  freshness_slo_sec: 60,
  volume_rpm_expected: 10,
  version: 1,
  updated_at: '2026-01-01T00:00:00Z',
  updated_by: 'x',
  ...over,
});

const all = [
  p('urn:dp:payments:settled', { tier: 'TIER_1', owners: ['payments-team'] }),
  p('urn:dp:orders:created', { tier: 'TIER_1' }),
  p('urn:dp:Orders:returned', { enforcement_mode: 'QUARANTINE_ON_FAIL' }),
  p('urn:dp:orders:shipped', { tier: 'TIER_1', owners: ['orders-team', 'logistics'] }),
];
const urns = (ps: DatasetPolicy[]) => ps.map((x) => x.dataset_urn);

test('each filter narrows; they combine; q ignores case', () => {
  assert.equal(hasFilter({}), false);
  assert.equal(hasFilter({ mode: 'ALERT_ONLY' }), true);
  assert.deepEqual(urns(all.filter((x) => matches(x, { q: 'ORDERS' }))), [
    'urn:dp:orders:created',
    'urn:dp:Orders:returned',
    'urn:dp:orders:shipped',
  ]);
  assert.deepEqual(urns(all.filter((x) => matches(x, { q: 'orders', tier: 'TIER_1', owner: 'logistics' }))), [
    'urn:dp:orders:shipped',
  ]);
  assert.deepEqual(urns(all.filter((x) => matches(x, { mode: 'QUARANTINE_ON_FAIL' }))), ['urn:dp:Orders:returned']);
});

test('filtered pages come in URN order with the stores cursor (the last key): no gaps, no repeats', () => {
  const f = { tier: 'TIER_1' as const };
  const first = filterPage(all, f, { limit: 2 });
  assert.deepEqual(urns(first.items), ['urn:dp:orders:created', 'urn:dp:orders:shipped']);
  assert.equal(first.next_cursor, encodeCursor('urn:dp:orders:shipped'));
  const second = filterPage(all, f, { limit: 2, cursor: first.next_cursor! });
  assert.deepEqual(urns(second.items), ['urn:dp:payments:settled']);
  assert.equal(second.next_cursor, null);
  assert.throws(() => filterPage(all, f, { limit: 2, cursor: 'not-ours' }), { code: 'INVALID_CURSOR' });
});
