import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Folder } from '../../../src/signals/fold.js';
import type { PartialAggregate } from '../../../src/signals/partial.js';
import { DatasetWindow, evaluate, shareVerdict, sloOf, type WindowSettings } from '../../../src/signals/window.js';
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
  assert.deepEqual(sloOf({ tier: 'TIER_2' }), {
    compliance_min: 0.95,
    window_sec: 600,
    identity_low_confidence_max: 0.25,
    producer_mismatch_max: 0,
    undeclared_pii_max: 0,
  });
  const t3 = sloOf({ tier: 'TIER_3', slo: { window_sec: 120, undeclared_pii_max: 0.2 } });
  assert.equal(t3.window_sec, 120);
  assert.equal(t3.compliance_min, 0.9);
  assert.equal(t3.undeclared_pii_max, 0.2, 'a policy value wins over the tier default');
  assert.equal(t3.producer_mismatch_max, 5);
});

test('shareVerdict: no finding is fine; a small sample is unknown unless the maximum is 0', () => {
  assert.equal(shareVerdict(0, 3, 0, 10), false);
  assert.equal(shareVerdict(1, 3, 0, 10), true, 'one finding breaches a maximum of 0 whatever the sample');
  assert.equal(shareVerdict(1, 3, 0.05, 10), null, '1 of 3 is too few records to judge a 5% share');
  assert.equal(shareVerdict(1, 20, 0.05, 10), false, '5% is not above 5%');
  assert.equal(shareVerdict(2, 20, 0.05, 10), true);
});

/** One minute of evidence: `n` records, the first `low` LOW-confidence, then `mismatch` and `pii` FAILs. */
function securityWindow(n: number, o: { low?: number; mismatch?: number; pii?: number }) {
  const f = new Folder(S.bucketMs);
  const at = T0 + 1000;
  const mismatch = o.mismatch ?? 0;
  const pii = o.pii ?? 0;
  for (let i = 0; i < n; i++) {
    const codes = i < mismatch ? ['PRODUCER_MISMATCH'] : i < mismatch + pii ? ['UNDECLARED_PII:notes'] : undefined;
    f.add(ev({ offset: i, at, low: i < (o.low ?? 0), fail: codes !== undefined, codes }), 0, i);
  }
  const w = new DatasetWindow('urn:dp:t:a', T0);
  for (const p of f.drain(at + 1000).partials) w.merge(p, S);
  return w;
}

test('IDENTITY breaches on a LOW-confidence share above its maximum or on any PRODUCER_MISMATCH', () => {
  const verdict = (e: ReturnType<typeof evaluate>) => e.verdicts.find((v) => v.kind === 'IDENTITY')!;
  const fine = evaluate(securityWindow(40, { low: 2 }), POLICY, T0 + 2000, S);
  assert.equal(fine.snapshot.identity.low_confidence_share, 0.05);
  assert.equal(fine.snapshot.identity.low_confidence_max, 0.05, 'the TIER_1 default');
  assert.equal(verdict(fine).breached, false);
  assert.equal(fine.snapshot.identity.breached, false);

  const low = evaluate(securityWindow(40, { low: 10 }), POLICY, T0 + 2000, S);
  assert.equal(verdict(low).breached, true);
  assert.equal(low.snapshot.identity.breached, true);
  assert.match(verdict(low).summary, /LOW-confidence producer identity on 25%/);
  assert.deepEqual(verdict(low).evidenceFilter, {}, 'no confidence filter in the evidence query');

  const mismatch = evaluate(securityWindow(40, { mismatch: 1 }), POLICY, T0 + 2000, S);
  assert.equal(verdict(mismatch).breached, true, 'TIER_1 tolerates no mismatch');
  assert.deepEqual(verdict(mismatch).reasons, [{ code: 'PRODUCER_MISMATCH', count: 1 }]);
  assert.deepEqual(verdict(mismatch).evidenceFilter, { reason_code: 'PRODUCER_MISMATCH' });
  const tolerant = { ...POLICY, slo: { ...POLICY.slo, producer_mismatch_max: 3 } };
  assert.equal(verdict(evaluate(securityWindow(40, { mismatch: 3 }), tolerant, T0 + 2000, S)).breached, false);

  const few = evaluate(securityWindow(3, { low: 1 }), POLICY, T0 + 2000, S);
  assert.equal(verdict(few).breached, null, 'a LOW share of 3 records is unknown');
});

test('PII breaches on undeclared PII above its rate (any finding on TIER_1), with its reason code', () => {
  const verdict = (e: ReturnType<typeof evaluate>) => e.verdicts.find((v) => v.kind === 'PII')!;
  const clean = evaluate(securityWindow(40, {}), POLICY, T0 + 2000, S);
  assert.equal(verdict(clean).breached, false);
  const leak = evaluate(securityWindow(40, { pii: 1 }), POLICY, T0 + 2000, S);
  assert.equal(leak.snapshot.pii.undeclared, 1);
  assert.equal(leak.snapshot.pii.undeclared_rate, 0.025);
  assert.equal(leak.snapshot.pii.undeclared_max, 0);
  assert.equal(leak.snapshot.pii.breached, true);
  assert.equal(verdict(leak).breached, true);
  assert.deepEqual(verdict(leak).reasons, [{ code: 'UNDECLARED_PII', count: 1 }]);
  const tier3 = { ...POLICY, tier: 'TIER_3' as const, slo: { window_sec: 300 } };
  assert.equal(verdict(evaluate(securityWindow(40, { pii: 1 }), tier3, T0 + 2000, S)).breached, true, '2.5% > 1%');
  assert.equal(verdict(evaluate(securityWindow(200, { pii: 1 }), tier3, T0 + 2000, S)).breached, false, '0.5%');
});
