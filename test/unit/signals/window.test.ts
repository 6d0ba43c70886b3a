import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Folder } from '../../../src/signals/fold.js';
import type { PartialAggregate } from '../../../src/signals/partial.js';
import { DatasetWindow, evaluate, sloOf, type WindowSettings } from '../../../src/signals/window.js';
import { ev, T0 } from './fixtures.js';

const S: WindowSettings = {
  bucketMs: 60_000,
  horizonMs: 3_600_000,
  allowedLatenessMs: 300_000,
  minRecords: 10,
  ewmaAlpha: 0.2,
};
const POLICY = {
  tier: 'TIER_1' as const,
  slo: { compliance_min: 0.9, window_sec: 300 },
  freshness_slo_sec: 60,
  volume_rpm_expected: 0,
};

function partials(n: number, failEvery: number, at: number, partition = 0, start = 0): PartialAggregate[] {
  const f = new Folder(S.bucketMs);
  for (let i = 0; i < n; i++) f.add(ev({ offset: start + i, fail: i % failEvery === 0, at }), partition, start + i);
  return f.drain(at + 1000).partials;
}

test('a partial merged twice counts once; a late partial is dropped', () => {
  const w = new DatasetWindow('urn:dp:t:a', T0);
  const [p] = partials(20, 4, T0 + 1000);
  assert.equal(w.merge(p, S), 'merged');
  assert.equal(w.merge(p, S), 'duplicate');
  const late = { ...p, id: 'other', folded_at: T0 + 60_000 + S.allowedLatenessMs + 1 };
  assert.equal(w.merge(late, S), 'late');
  const e = evaluate(w, POLICY, T0 + 2000, S);
  assert.equal(e.snapshot.compliance.pass, 15);
  assert.equal(e.snapshot.compliance.fail, 5);
});

test('a repeat of an older span counts once; spans of other evidence partitions are their own', () => {
  const w = new DatasetWindow('urn:dp:t:a', T0);
  const [a] = partials(5, 1000, T0 + 1000, 0, 0);
  const [b] = partials(5, 1000, T0 + 1000, 0, 5);
  const [c] = partials(5, 1000, T0 + 1000, 1, 0);
  assert.equal(w.merge(a, S), 'merged');
  assert.equal(w.merge(b, S), 'merged');
  assert.equal(w.merge(a, S), 'duplicate', 'span 0-4 of partition 0 was merged before 5-9');
  assert.equal(w.merge(c, S), 'merged', 'partition 1 has its own offsets');
  assert.equal(w.merge(c, S), 'duplicate');
  const c15 = evaluate(w, POLICY, T0 + 2000, S).snapshot.compliance;
  assert.equal(c15.pass + c15.fail, 15);
});

test('compliance breaches below the SLO with enough records, and names reasons, producer and samples', () => {
  const w = new DatasetWindow('urn:dp:t:a', T0);
  for (const p of partials(20, 2, T0 + 1000)) w.merge(p, S);
  const e = evaluate(w, POLICY, T0 + 2000, S);
  assert.equal(e.snapshot.compliance.rate, 0.5);
  assert.equal(e.snapshot.compliance.breached, true);
  assert.deepEqual(e.topReasons, [{ code: 'MISSING_FIELD', count: 10 }]);
  assert.equal(e.suspectedProducer, 'svc-a');
  assert.equal(e.samples.length, 10);
  assert.equal(e.verdicts.find((v) => v.kind === 'COMPLIANCE')!.breached, true);
  // Outside the 300 s window the burst no longer counts.
  const later = evaluate(w, POLICY, T0 + 400_000, S);
  assert.equal(later.snapshot.compliance.pass + later.snapshot.compliance.fail, 0);
  assert.equal(later.verdicts.find((v) => v.kind === 'COMPLIANCE')!.breached, null, 'too few records: unknown');
});

test('freshness: age of the newest record; unknown until the SLO passes for a never-seen dataset', () => {
  const seen = new DatasetWindow('urn:dp:t:a', T0);
  for (const p of partials(3, 100, T0 + 1000)) seen.merge(p, S);
  const e = evaluate(seen, POLICY, T0 + 1000 + 61_000, S);
  assert.equal(e.snapshot.freshness.age_sec, 61);
  assert.equal(e.snapshot.freshness.breached, true);
  assert.equal(e.snapshot.freshness.event_lag_p50_sec, 2);
  const never = new DatasetWindow('urn:dp:t:b', T0);
  assert.equal(evaluate(never, POLICY, T0 + 30_000, S).verdicts.find((v) => v.kind === 'FRESHNESS')!.breached, null);
  assert.equal(evaluate(never, POLICY, T0 + 61_000, S).verdicts.find((v) => v.kind === 'FRESHNESS')!.breached, true);
});

test('volume against the expected rate, evidence gap, and a learned EWMA baseline', () => {
  const w = new DatasetWindow('urn:dp:t:a', T0);
  // 10 records in each of the first 6 minutes, then silence.
  for (let m = 0; m < 6; m++) for (const p of partials(10, 1000, T0 + m * 60_000 + 1000, 0, m * 10)) w.merge(p, S);
  const expected = { ...POLICY, volume_rpm_expected: 100 };
  const e = evaluate(w, expected, T0 + 6 * 60_000 + 5000, S);
  assert.equal(e.snapshot.volume.records_per_min, 10);
  assert.equal(e.snapshot.volume.breached, true, '10/min is below half of 100');
  assert.equal(e.snapshot.volume.baseline_rpm, 10);
  assert.equal(e.snapshot.volume.evidence_gap, false);
  const gap = evaluate(w, POLICY, T0 + 7 * 60_000 + 5000, S);
  assert.equal(
    gap.snapshot.volume.evidence_gap,
    true,
    'the learned baseline expects traffic; the last minute had none',
  );
});

test('tier defaults fill an absent slo block', () => {
  assert.deepEqual(sloOf({ tier: 'TIER_2' }), { compliance_min: 0.95, window_sec: 600 });
  assert.deepEqual(sloOf({ tier: 'TIER_3', slo: { window_sec: 120 } }), { compliance_min: 0.9, window_sec: 120 });
});
