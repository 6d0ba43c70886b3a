/**
 * Issue 15: a burst of 50% contract failures opens exactly one COMPLIANCE incident whose sample
 * ids are evidence on the topic, and it resolves once PASS records bring the rate back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, signalsRig, until } from './helpers.js';

test('a 50% FAIL burst opens one COMPLIANCE incident with real samples; recovery resolves it', {
  timeout: 240_000,
}, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset();
  const raw = `raw.${urn.split(':').pop()}`;
  await rig.engine();
  const bad = burst(urn, raw, 40, { failEvery: 2, producer: 'legacy-svc' });
  await rig.produce(bad);

  const [inc] = await until('a COMPLIANCE incident', async () => {
    const items = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}&state=open`);
    return items.length > 0 && items;
  });
  assert.equal(inc.kind, 'COMPLIANCE');
  assert.equal(inc.dataset_urn, urn);
  assert.equal(inc.suspected_producer, 'legacy-svc');
  assert.deepEqual(inc.top_reason_codes[0], { code: 'MISSING_FIELD', count: 20 });
  assert.ok(inc.sample_evidence_ids.length > 0 && inc.sample_evidence_ids.length <= 10);
  const failIds = new Set(bad.filter((e) => e.validation.result === 'FAIL').map((e) => e.evidence_id));
  for (const id of inc.sample_evidence_ids)
    assert.ok(failIds.has(id), `sample ${id} is a FAIL evidence id on the topic`);
  assert.match(inc.links.evidence, /^\/v1\/evidence\?dataset_urn=/);

  const h = await rig.health(urn);
  assert.equal(h.compliance.pass, 20);
  assert.equal(h.compliance.fail, 20);
  assert.equal(h.compliance.rate, 0.5);
  assert.equal(h.compliance.breached, true);
  assert.equal(h.open_incidents, 1);
  assert.equal(h.stale, false);

  // Recovery: 80 PASS records lift the rate to 100/120 = 0.83 >= 0.8.
  await rig.produce(burst(urn, raw, 80, { start: 40 }));
  const resolved = await until('the incident resolved', async () => {
    const r = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}&state=resolved`);
    return r.length > 0 && r;
  });
  assert.equal(resolved.length, 1);
  assert.equal(resolved[0].incident_id, inc.incident_id);
  assert.ok(resolved[0].resolved_at);
  const all = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}`);
  assert.equal(all.length, 1, 'exactly one incident for the burst');
  const after = await rig.health(urn);
  assert.equal(after.compliance.pass + after.compliance.fail, 120);
});
