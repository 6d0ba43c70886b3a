/**
 * Issue 15 REST: the policy's slo block is validated and stored; health before the engine's first
 * snapshot, while it runs, and stale after it stops; incidents acknowledged under the datasets'
 * auth rules, durably (a second control plane sees the acknowledgement).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, devToken } from '../../../src/dev/services.js';
import type { Incident } from '../../../src/models/index.js';
import { stackEnv, startControlPlane } from '../../helpers/stack.js';
import { burst, signalsRig, until } from './helpers.js';

test('health, incidents and acknowledgements through the control plane', { timeout: 240_000 }, async (t) => {
  const { secret } = stackEnv();
  const rig = await signalsRig(t);
  const cp = rig.cp;
  const urn = await rig.dataset({ slo: { compliance_min: 0.9, window_sec: 120 } });
  const path = `/v1/datasets/${encodeURIComponent(urn)}`;

  const stored = await api(cp.url, cp.admin, 'GET', `${path}/policy`);
  assert.deepEqual((stored.body as { slo: unknown }).slo, { compliance_min: 0.9, window_sec: 120 });
  const bad = await api(cp.url, cp.admin, 'PUT', `${path}/policy`, {
    ...(stored.body as object),
    version: undefined,
    updated_at: undefined,
    updated_by: undefined,
    slo: { compliance_min: 1.5 },
  });
  assert.equal(bad.status, 400);
  assert.equal((bad.body as { error: { code: string } }).error.code, 'VALIDATION_FAILED');

  const missing = await api(cp.url, cp.admin, 'GET', '/v1/datasets/urn:dp:signals:nope/health');
  assert.equal(missing.status, 404);
  const before = await rig.health(urn);
  assert.equal(before.as_of, null);
  assert.equal(before.stale, true);
  assert.equal(before.compliance.slo, 0.9);
  assert.equal(before.compliance.window_sec, 120);

  const engine = await rig.engine();
  await rig.produce(burst(urn, `raw.${urn.split(':').pop()}`, 20, { failEvery: 2 }));
  const [inc] = await until('an incident', async () => {
    const items = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}`);
    return items.length > 0 && items;
  });
  const live = await rig.health(urn);
  assert.equal(live.stale, false);
  assert.equal(live.open_incidents, 1);

  const one = await api(cp.url, cp.admin, 'GET', `/v1/incidents/${inc.incident_id}`);
  assert.equal(one.status, 200);
  assert.equal((one.body as Incident).incident_id, inc.incident_id);
  const none = await api(cp.url, cp.admin, 'GET', '/v1/incidents/inc-nope');
  assert.equal((none.body as { error: { code: string } }).error.code, 'INCIDENT_NOT_FOUND');
  const anon = await api(cp.url, '', 'GET', '/v1/incidents');
  assert.equal(anon.status, 401);
  const badCursor = await api(cp.url, cp.admin, 'GET', '/v1/incidents?cursor=zzz');
  assert.equal((badCursor.body as { error: { code: string } }).error.code, 'INVALID_CURSOR');

  const stranger = await devToken({ sub: 'mallory', teams: ['payments-team'] }, secret);
  const refused = await api(cp.url, stranger, 'POST', `/v1/incidents/${inc.incident_id}/ack`);
  assert.equal(refused.status, 403);
  const owner = await devToken({ sub: 'olivia', teams: ['orders-team'] }, secret);
  const acked = await api(cp.url, owner, 'POST', `/v1/incidents/${inc.incident_id}/ack`);
  assert.equal(acked.status, 200);
  assert.equal((acked.body as Incident).state, 'acknowledged');
  assert.equal((acked.body as Incident).acknowledged_by, 'olivia');
  const again = await api(cp.url, owner, 'POST', `/v1/incidents/${inc.incident_id}/ack`);
  assert.equal(again.status, 200);
  const listed = await rig.incidents(`state=acknowledged&dataset_urn=${encodeURIComponent(urn)}`);
  assert.deepEqual(
    listed.map((i) => i.incident_id),
    [inc.incident_id],
  );

  // Durable: another control plane (its own store) reads the acknowledgement from Kafka.
  const other = await startControlPlane(t, { ...rig.env, SF_SIGNALS_VIEW: 'on' });
  await until('the acknowledgement on a second control plane', async () => {
    const r = await api(other.url, other.admin, 'GET', `/v1/incidents/${inc.incident_id}`);
    return r.status === 200 && (r.body as Incident).state === 'acknowledged';
  });

  // The engine stops: health says it is stale instead of repeating old figures as current.
  assert.equal(await engine.stop('SIGTERM'), 0);
  const stale = await until('health marked stale', async () => {
    const h = await rig.health(urn);
    return h.stale && h;
  });
  assert.match(stale.stale_reason ?? '', /down or behind/);
});
