import assert from 'node:assert/strict';
import { test } from 'node:test';
import { breachClocks, clocksToResume, newTracker, resolve, step } from '../../../src/signals/incidents.js';
import type { Evaluation, Verdict } from '../../../src/signals/window.js';

const S = { openAfterMs: 10_000, resolveAfterMs: 20_000 };
const EV = {
  topReasons: [{ code: 'MISSING_FIELD', count: 3 }],
  suspectedProducer: 'legacy',
  samples: ['e1', 'e2'],
} as unknown as Evaluation;
const v = (breached: boolean | null, rate = 0.5): Verdict => ({
  kind: 'COMPLIANCE',
  breached,
  summary: `rate ${rate}`,
  figures: { rate },
  reasons: [{ code: 'MISSING_FIELD', count: 3 }],
  evidenceFilter: { result: 'FAIL' },
});

test('opens only after the breach lasts openAfterMs, then updates the same incident', () => {
  const t = newTracker();
  assert.equal(step(t, v(true), EV, 'urn:dp:t:a', 0, S), undefined);
  assert.equal(step(t, v(true), EV, 'urn:dp:t:a', 9_999, S), undefined);
  const opened = step(t, v(true), EV, 'urn:dp:t:a', 10_000, S)!;
  assert.equal(opened.state, 'open');
  assert.equal(opened.first_seen, new Date(0).toISOString());
  assert.deepEqual(opened.sample_evidence_ids, ['e1', 'e2']);
  assert.equal(opened.suspected_producer, 'legacy');
  assert.match(opened.links.evidence, /result=FAIL/);
  assert.deepEqual(opened.top_reason_codes, [{ code: 'MISSING_FIELD', count: 3 }]);
  const updated = step(t, v(true, 0.4), { ...EV, samples: ['e3'] }, 'urn:dp:t:a', 11_000, S)!;
  assert.equal(updated.incident_id, opened.incident_id, 'deduplicated per (dataset, kind)');
  assert.equal(updated.figures.rate, 0.4);
  assert.deepEqual(updated.sample_evidence_ids, ['e1', 'e2', 'e3']);
});

test('a breach shorter than openAfterMs opens nothing', () => {
  const t = newTracker();
  step(t, v(true), EV, 'd', 0, S);
  step(t, v(false), EV, 'd', 5_000, S);
  assert.equal(step(t, v(true), EV, 'd', 12_000, S), undefined, 'the clock restarted at 12 s');
});

test('resolves only after resolveAfterMs of continuous recovery (hysteresis); unknown changes nothing', () => {
  const t = newTracker();
  step(t, v(true), EV, 'd', 0, S);
  const opened = step(t, v(true), EV, 'd', 10_000, S)!;
  assert.equal(step(t, v(false), EV, 'd', 11_000, S), undefined);
  assert.equal(step(t, v(null), EV, 'd', 25_000, S), undefined);
  assert.ok(step(t, v(true), EV, 'd', 26_000, S), 'a relapse updates the open incident');
  assert.equal(step(t, v(false), EV, 'd', 27_000, S), undefined);
  assert.equal(step(t, v(false), EV, 'd', 46_999, S), undefined);
  const resolved = step(t, v(false), EV, 'd', 47_000, S)!;
  assert.equal(resolved.state, 'resolved');
  assert.equal(resolved.incident_id, opened.incident_id);
  assert.equal(resolved.resolved_at, new Date(47_000).toISOString());
  assert.equal(resolved.resolved_reason, 'recovered');
  assert.equal(t.incident, null);
});

test('a breach clock published in the snapshot resumes on a new owner: same opening time, same id', () => {
  const before = newTracker();
  step(before, v(true), EV, 'd', 0, S);
  step(before, v(true), EV, 'd', 6_000, S);
  // The owner goes at 6 s; its last snapshot carried the clock through JSON (the signals topic).
  const clocks = JSON.parse(JSON.stringify(breachClocks([['COMPLIANCE', before]])));
  assert.deepEqual(clocks, { COMPLIANCE: new Date(0).toISOString() });
  const resumed = clocksToResume(clocks, 8_000);
  assert.deepEqual([...resumed], [['COMPLIANCE', 0]]);

  const after = newTracker();
  after.breachSince = resumed.get('COMPLIANCE')!;
  assert.equal(step(after, v(true), EV, 'd', 9_000, S), undefined, 'still within openAfterMs of the breach start');
  const opened = step(after, v(true), EV, 'd', 10_000, S)!;
  assert.equal(opened.first_seen, new Date(0).toISOString());
  // The id the first owner would have given it: deterministic from (dataset, kind, breach start).
  const alone = newTracker();
  step(alone, v(true), EV, 'd', 0, S);
  assert.equal(opened.incident_id, step(alone, v(true), EV, 'd', 10_000, S)!.incident_id);
});

test('clocksToResume ignores unknown kinds, bad or future times and non-objects', () => {
  const now = Date.UTC(2026, 0, 1);
  const ok = new Date(now - 5000).toISOString();
  const r = clocksToResume(
    { PII: ok, NOT_A_KIND: ok, FRESHNESS: 'yesterday', VOLUME: 12, IDENTITY: new Date(now + 60_000).toISOString() },
    now,
  );
  assert.deepEqual([...r], [['PII', now - 5000]]);
  assert.equal(clocksToResume(undefined, now).size, 0);
  assert.equal(clocksToResume('x', now).size, 0);
  assert.deepEqual(breachClocks([['VOLUME', newTracker()]]), {}, 'no breach, no clock');
});

test('resolve ends an open incident with its reason (policy deleted) and clears the clocks', () => {
  const t = newTracker();
  step(t, v(true), EV, 'd', 0, S);
  const opened = step(t, v(true), EV, 'd', 10_000, S)!;
  const gone = resolve(t, 12_000, 'policy_deleted')!;
  assert.equal(gone.incident_id, opened.incident_id);
  assert.equal(gone.state, 'resolved');
  assert.equal(gone.resolved_reason, 'policy_deleted');
  assert.equal(gone.resolved_at, new Date(12_000).toISOString());
  assert.equal(t.incident, null);
  assert.equal(t.breachSince, null);
  assert.equal(resolve(t, 13_000, 'policy_deleted'), undefined, 'nothing open: nothing to publish');
});

test('IDENTITY and PII incidents carry their reason codes and a filtered evidence link, no FAIL samples', () => {
  const t = newTracker();
  const pii: Verdict = {
    kind: 'PII',
    breached: true,
    summary: 'undeclared PII',
    figures: { undeclared: 2, window_sec: 300 },
    reasons: [{ code: 'UNDECLARED_PII', count: 2 }],
    evidenceFilter: { reason_code: 'UNDECLARED_PII' },
  };
  step(t, pii, EV, 'urn:dp:t:a', 0, S);
  const opened = step(t, pii, EV, 'urn:dp:t:a', 10_000, S)!;
  assert.equal(opened.kind, 'PII');
  assert.deepEqual(opened.top_reason_codes, [{ code: 'UNDECLARED_PII', count: 2 }]);
  assert.deepEqual(opened.sample_evidence_ids, [], 'the FAIL samples are not about this kind');
  assert.equal(opened.suspected_producer, null);
  const link = new URL(opened.links.evidence, 'http://x');
  assert.equal(link.searchParams.get('reason_code'), 'UNDECLARED_PII');
  assert.equal(link.searchParams.get('since'), new Date(-300_000).toISOString(), 'a window before the breach');
});
