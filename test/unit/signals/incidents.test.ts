import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTracker, step } from '../../../src/signals/incidents.js';
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
  assert.equal(t.incident, null);
});
