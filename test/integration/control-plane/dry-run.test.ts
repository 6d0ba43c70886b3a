/**
 * `?dry_run=true` on every PUT: the same answer as the real PUT (status, body, version) and the
 * same refusals, with nothing stored, audited or published to the change feed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contract, policy, startApp, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:dry';

test('dry run: every PUT answers as it would, and stores nothing', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'admin', roles: ['admin'] });
  const snapshotVersion = async () => (await cp.call('GET', '/v1/snapshot', admin)).body.version;
  const before = await snapshotVersion();
  const dry = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    cp.call('PUT', `${path}?dry_run=true`, admin, body, headers);

  const c = await dry('/v1/contracts/dc:dry:1', contract('dc:dry:1'));
  assert.deepEqual([c.status, c.body.contract_id], [201, 'dc:dry:1']);
  assert.equal((await cp.call('GET', '/v1/contracts/dc:dry:1', admin)).status, 404);

  const p = await dry(urnPath(URN), policy(URN));
  assert.deepEqual([p.status, p.body.version, p.body.updated_by], [201, 1, 'admin']);
  assert.equal((await cp.call('GET', urnPath(URN), admin)).status, 404);

  const g = await dry('/v1/ops/global', { safe_mode: true });
  assert.deepEqual([g.status, g.body.safe_mode], [201, true]);
  assert.equal((await cp.call('GET', '/v1/ops/global', admin)).body.safe_mode, false);

  assert.equal(await snapshotVersion(), before, 'the change feed did not move');
  assert.deepEqual((await cp.call('GET', '/v1/audit', admin)).body.items, [], 'nothing audited');

  // Against stored state: unchanged is 200 at the current version, an update 200 at the next.
  assert.equal((await cp.call('PUT', urnPath(URN), admin, policy(URN))).status, 201);
  const same = await dry(urnPath(URN), policy(URN));
  assert.deepEqual([same.status, same.body.version], [200, 1]);
  const upd = await dry(urnPath(URN), policy(URN, { tier: 'TIER_2' }), { 'if-match': '"1"' });
  assert.deepEqual([upd.status, upd.body.version, upd.body.tier], [200, 2, 'TIER_2']);
  assert.equal((await cp.call('GET', urnPath(URN), admin)).body.tier, 'TIER_1');

  const r = await dry(urnPath(URN, 'resolution'), {
    rules: [{ source_type: 'TOPIC', source_value: 'raw.dry', dataset_urn: URN, resolution_confidence: 'HIGH' }],
  });
  assert.equal(r.status, 201);
  const o = await dry(urnPath(URN, 'ops'), { actions_paused: true, disabled_gates: [] });
  assert.equal(o.status, 201);
  assert.equal((await cp.call('GET', urnPath(URN, 'resolution'), admin)).status, 404);
  assert.equal((await cp.call('GET', urnPath(URN, 'ops'), admin)).body.version, 0);
});

test('dry run: refuses exactly what the PUT refuses', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'admin', roles: ['admin'] });
  const stranger = await cp.token({ sub: 's', teams: ['other'] });
  await cp.call('PUT', '/v1/contracts/dc:dry:1', admin, contract('dc:dry:1'));
  await cp.call('PUT', urnPath(URN), admin, policy(URN));
  const cases: Array<[string, string, unknown, number, string, Record<string, string>?]> = [
    [urnPath(URN), admin, policy(URN, { enforcement_mode: 'REPUBLISH_PASS_ONLY' }), 422, 'BLESSED_TOPIC_REQUIRED'],
    [urnPath(URN), admin, policy(URN, { contract_id: 'dc:none:1' }), 422, 'UNKNOWN_CONTRACT'],
    [urnPath(URN), admin, policy(URN, { tier: 'TIER_2' }), 412, 'PRECONDITION_FAILED', { 'if-match': '"7"' }],
    [urnPath(URN), stranger, policy(URN, { tier: 'TIER_2' }), 403, 'FORBIDDEN'],
    ['/v1/contracts/dc:dry:1', admin, contract('dc:dry:1', { description: 'changed' }), 409, 'CONTRACT_IMMUTABLE'],
    [
      urnPath('urn:dp:none:x', 'resolution'),
      admin,
      {
        rules: [
          { source_type: 'TOPIC', source_value: 'raw.n', dataset_urn: 'urn:dp:none:x', resolution_confidence: 'HIGH' },
        ],
      },
      404,
      'DATASET_NOT_FOUND',
    ],
  ];
  for (const [path, token, body, status, code, headers] of cases) {
    const res = await cp.call('PUT', `${path}?dry_run=true`, token, body, headers);
    assert.deepEqual([res.status, res.body.error?.code], [status, code], `${path}: ${JSON.stringify(res.body)}`);
  }
});

test('dry run: documented on every PUT route of the OpenAPI document', async (t) => {
  const cp = await startApp(t);
  const doc = (await cp.call('GET', '/openapi.json')).body;
  const puts = Object.entries(doc.paths as Record<string, { put?: { parameters?: { name: string; in: string }[] } }>)
    .filter(([, ops]) => ops.put)
    .map(([path, ops]) => [path, ops.put?.parameters?.some((p) => p.name === 'dry_run' && p.in === 'query')]);
  assert.ok(puts.length >= 5, JSON.stringify(puts));
  for (const [path, has] of puts) assert.equal(has, true, `${path} documents dry_run`);
});
