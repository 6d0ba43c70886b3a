/**
 * Issue 15: when a dataset's policy is deleted, its open incidents resolve (resolved_reason
 * policy_deleted) instead of staying open forever, the engine stops evaluating the dataset (its
 * gauges go), so its still-breached window opens nothing new.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from '../../../src/dev/services.js';
import { burst, labelled, signalsRig, until } from './helpers.js';

test('deleting a policy resolves its open incidents and stops evaluating the dataset', {
  timeout: 240_000,
}, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset();
  const sentinel = await rig.dataset();
  const raw = `raw.${urn.split(':').pop()}`;
  const engine = await rig.engine();
  await rig.produce(burst(urn, raw, 40, { failEvery: 2 }));
  const q = `dataset_urn=${encodeURIComponent(urn)}`;
  const [inc] = await until('a COMPLIANCE incident', async () => {
    const items = await rig.incidents(`${q}&state=open`);
    return items.length > 0 && items;
  });
  const series = `signals_dataset_breached{dataset="${urn}",kind="COMPLIANCE"}`;
  assert.equal(await labelled(engine, series), 1);

  const del = await api(rig.cp.url, rig.cp.admin, 'DELETE', `/v1/datasets/${encodeURIComponent(urn)}/policy`);
  assert.equal(del.status, 204, JSON.stringify(del.body));

  const [resolved] = await until('the incident resolved', async () => {
    const items = await rig.incidents(`${q}&state=resolved`);
    return items.length > 0 && items;
  });
  assert.equal(resolved.incident_id, inc.incident_id);
  assert.equal(resolved.resolved_reason, 'policy_deleted');
  assert.ok(resolved.resolved_at);
  const text = await (await fetch(`${engine.url}/metrics`)).text();
  assert.ok(
    !text.includes(`dataset="${urn}"`),
    'no gauge of the deleted dataset is left (it would keep alerts firing)',
  );

  // Its window still breaches (50% FAIL): were it still evaluated, a new incident would open
  // within SF_SIGNALS_OPEN_AFTER_SEC (1 s). The sentinel's snapshots show evaluations go on.
  const after = Date.now();
  await until('evaluations 3 s past the resolution', async () => {
    const h = await rig.health(sentinel);
    return Date.parse(h.as_of) > after + 3000 && h;
  });
  const all = await rig.incidents(q);
  assert.deepEqual(
    all.map((i) => [i.incident_id, i.state]),
    [[inc.incident_id, 'resolved']],
    'nothing reopened',
  );
});
