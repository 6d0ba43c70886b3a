/**
 * Removing and retiring things (issue 13, item 8), on both stores (SQLite and DynamoDB on moto):
 * DELETE of policies, resolution rules and ops toggles (audited, refused while something depends
 * on them), contract deprecation, list endpoints for contracts and resolution rules, and 405 for a
 * wrong method on a known path (before: DELETE anywhere was 404 NOT_FOUND).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControlPlaneStore } from '../../../src/control-plane/store/types.js';
import { contract, dynamoStore, type Json, policy, type Running, startApp, tempSqlite, urnPath } from './helpers.js';

const A = 'urn:dp:orders:created';
const B = 'urn:dp:orders:shipped';
const rules = (urn: string, topic: string) => ({
  rules: [{ source_type: 'TOPIC', source_value: topic, dataset_urn: urn, resolution_confidence: 'HIGH' }],
});

async function lifecycle(cp: Running): Promise<void> {
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const owner = await cp.token({ sub: 'olga', teams: ['orders-team'] });
  const stranger = await cp.token({ sub: 'sam', teams: ['payments-team'] });
  const ok = async (method: string, path: string, body?: unknown, token = admin) => {
    const r = await cp.call(method, path, token, body);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };

  await ok('PUT', '/v1/contracts/dc:orders:1', contract('dc:orders:1'));
  await ok('PUT', '/v1/contracts/dc:orders:2', contract('dc:orders:2', { description: 'v2' }), owner);
  await ok('PUT', urnPath(A), policy(A, { contract_id: 'dc:orders:1' }));
  await ok('PUT', urnPath(A, 'resolution'), rules(A, 'raw.orders.events'));
  await ok('PUT', urnPath(A, 'ops'), { actions_paused: true, disabled_gates: [] });
  await ok('PUT', urnPath(B), policy(B));
  await ok('PUT', urnPath(B, 'resolution'), rules(B, 'raw.shipping.events'));

  // Lists, cursor-paginated like GET /v1/datasets.
  const contracts: string[] = [];
  let cursor: string | null = null;
  do {
    const r: Json = await ok('GET', `/v1/contracts?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    contracts.push(...r.body.items.map((c: Json) => c.contract_id));
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.deepEqual(contracts.sort(), ['dc:orders:1', 'dc:orders:2']);
  const resolutions: string[] = [];
  cursor = null;
  do {
    const r: Json = await ok('GET', `/v1/resolution?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    resolutions.push(...r.body.items.map((x: Json) => x.dataset_urn));
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.deepEqual(resolutions.sort(), [A, B]);

  // A policy is refused while its resolution rules and ops toggles exist.
  const inUse = await cp.call('DELETE', urnPath(A), admin);
  assert.equal(inUse.status, 409);
  assert.equal(inUse.body.error.code, 'IN_USE');
  assert.deepEqual(
    inUse.body.error.details.dependents.map((d: Json) => d.kind),
    ['resolution', 'dataset_ops'],
  );
  assert.equal((await cp.call('GET', urnPath(A), admin)).status, 200, 'nothing was deleted');

  // Ownership applies; If-Match applies.
  assert.equal((await cp.call('DELETE', urnPath(A, 'resolution'), stranger)).status, 403);
  const stale = await cp.call('DELETE', urnPath(A, 'resolution'), owner, undefined, { 'if-match': '"7"' });
  assert.equal(stale.status, 412);
  const before = (await ok('GET', '/v1/snapshot')).body.version;
  assert.equal(
    (await cp.call('DELETE', urnPath(A, 'resolution'), owner, undefined, { 'if-match': '"1"' })).status,
    204,
  );
  assert.equal((await cp.call('GET', urnPath(A, 'resolution'), admin)).status, 404);
  assert.equal((await cp.call('DELETE', urnPath(A, 'resolution'), owner)).status, 404, 'gone');
  assert.equal((await cp.call('DELETE', urnPath(A, 'ops'), owner)).status, 204);
  assert.equal((await ok('GET', urnPath(A, 'ops'))).body.version, 0, 'ops back to defaults');
  assert.equal((await cp.call('DELETE', urnPath(A, 'ops'), owner)).status, 204, 'resetting defaults is idempotent');
  assert.equal((await cp.call('DELETE', urnPath(A), owner)).status, 204);
  assert.equal((await cp.call('GET', urnPath(A), admin)).status, 404);
  assert.equal((await cp.call('DELETE', urnPath(A), admin)).status, 404);

  // Every delete moved the watermark (enforcers see it) and is in the audit log.
  const snap = (await ok('GET', '/v1/snapshot')).body;
  assert.equal(snap.version, before + 3);
  assert.deepEqual(
    snap.policies.map((p: Json) => p.dataset_urn),
    [B],
  );
  assert.deepEqual(
    snap.resolution.map((r: Json) => r.dataset_urn),
    [B],
  );
  const audit = (await ok('GET', `/v1/audit?target=${encodeURIComponent(A)}&limit=3`)).body.items;
  assert.deepEqual(
    audit.map((a: Json) => [a.action, a.actor, a.before_version, a.after_version]),
    [
      ['policy.delete', 'olga', 1, null],
      ['ops.dataset.delete', 'olga', 1, null],
      ['resolution.delete', 'olga', 1, null],
    ],
  );

  // Global toggles: admin only; reset to defaults.
  await ok('PUT', '/v1/ops/global', { safe_mode: true });
  assert.equal((await cp.call('DELETE', '/v1/ops/global', owner)).status, 403);
  assert.equal((await cp.call('DELETE', '/v1/ops/global', admin)).status, 204);
  assert.equal((await ok('GET', '/v1/ops/global')).body.safe_mode, false);

  // Contracts: deprecated, never deleted. Existing users keep working; new references are refused.
  const del = await cp.call('DELETE', '/v1/contracts/dc:orders:1', admin);
  assert.equal(del.status, 405);
  assert.equal(del.body.error.code, 'METHOD_NOT_ALLOWED');
  assert.equal(del.headers.get('allow'), 'GET, HEAD, PUT');
  await ok('PUT', urnPath(B), policy(B, { contract_id: 'dc:orders:2' }));
  const foreign = await cp.call('POST', '/v1/contracts/dc:orders:2/deprecate', stranger, { reason: 'mine now' });
  assert.equal(foreign.status, 403, 'only its creator or an admin deprecates a contract');
  const dep = await ok('POST', '/v1/contracts/dc:orders:2/deprecate', { reason: 'use dc:orders:1' }, owner);
  assert.equal(dep.body.deprecated_by, 'olga');
  assert.equal(dep.body.deprecation_reason, 'use dc:orders:1');
  const again = await ok('POST', '/v1/contracts/dc:orders:2/deprecate', { reason: 'again' }, owner);
  assert.equal(again.body.deprecation_reason, 'use dc:orders:1', 'deprecating twice changes nothing');
  assert.equal((await ok('GET', '/v1/contracts/dc:orders:2')).body.deprecated_at, dep.body.deprecated_at);
  assert.equal(
    (await cp.call('PUT', '/v1/contracts/dc:orders:2', admin, contract('dc:orders:2', { description: 'v2' }))).status,
    200,
    'the same body again is still 200',
  );
  const updated = await cp.call('PUT', urnPath(B), admin, policy(B, { contract_id: 'dc:orders:2', tier: 'TIER_2' }));
  assert.equal(updated.status, 200, 'a policy that already uses it can still change');
  await ok('PUT', urnPath(A), policy(A));
  const refused = await cp.call('PUT', urnPath(A), admin, policy(A, { contract_id: 'dc:orders:2' }));
  assert.equal(refused.status, 422);
  assert.equal(refused.body.error.code, 'CONTRACT_DEPRECATED');
  assert.equal(refused.body.error.details.path, '/contract_id');
  const inSnapshot = (await ok('GET', '/v1/snapshot')).body.contracts.find(
    (c: Json) => c.contract_id === 'dc:orders:2',
  );
  assert.ok(inSnapshot && inSnapshot.deprecated_at === undefined, 'enforcers still get it, as a plain contract');
  assert.equal((await cp.call('POST', '/v1/contracts/dc:nope:1/deprecate', admin, { reason: 'x' })).status, 404);
}

test('lifecycle on SQLite: delete, dependents, deprecation, lists, 405', async (t) => {
  await lifecycle(await startApp(t, { store: tempSqlite(t) }));
});

test('lifecycle on DynamoDB (moto): delete, dependents, deprecation, lists, 405', async (t) => {
  const store: ControlPlaneStore = await dynamoStore(t);
  await lifecycle(await startApp(t, { store }));
});

test('405 with Allow for a wrong method on a known path; 404 for an unknown path; enum errors list values', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const r = await cp.call('POST', urnPath(A), admin, {});
  assert.equal(r.status, 405);
  assert.equal(r.body.error.code, 'METHOD_NOT_ALLOWED');
  assert.equal(r.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
  const snap = await cp.call('DELETE', '/v1/snapshot', admin);
  assert.equal(snap.status, 405);
  assert.equal(snap.headers.get('allow'), 'GET, HEAD');
  assert.equal((await cp.call('DELETE', '/v1/nothing-here', admin)).status, 404);
  const q = await cp.call('GET', '/v1/datasets?limt=5', admin);
  assert.equal(q.status, 400);
  assert.equal(q.body.error.code, 'UNKNOWN_QUERY_PARAMETER');
  assert.match(q.body.error.message, /limt.*takes: limit, cursor/, 'the message names what the operation takes');
  const bad = await cp.call('PUT', urnPath(A), admin, policy(A, { enforcement_mode: 'BLOCK_ALL' }));
  assert.equal(bad.status, 400);
  const mode = bad.body.error.details.find((d: Json) => d.path === '/body/enforcement_mode');
  assert.deepEqual(mode.allowed, ['ALERT_ONLY', 'QUARANTINE_ON_FAIL', 'REPUBLISH_PASS_ONLY']);
  assert.match(mode.message, /must be one of: ALERT_ONLY, QUARANTINE_ON_FAIL, REPUBLISH_PASS_ONLY/);
  const q2 = await cp.call('GET', `${urnPath(A)}?verbose=1`, admin);
  assert.equal(q2.body.error.code, 'UNKNOWN_QUERY_PARAMETER', 'routes without parameters refuse them too');
});
