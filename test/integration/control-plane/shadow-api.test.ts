/**
 * The shadow candidate's API on both stores: attach, replace, same body again, read, detach,
 * promote (one call, audited, history kept), authorisation and the report without a topic.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ControlPlaneStore } from '../../../src/control-plane/store/types.js';
import { dynamoStore, policy, startApp, tempSqlite, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:shadowed';

async function scenario(t: TestContext, store: ControlPlaneStore) {
  const app = await startApp(t, { store });
  const admin = await app.token({ sub: 'alice', roles: ['admin'] });
  const owner = await app.token({ sub: 'olga', teams: ['orders-team'] });
  const stranger = await app.token({ sub: 'sam', teams: ['other-team'] });
  const shadow = urnPath(URN, 'policy/shadow');
  const candidate = policy(URN, { tier: 'TIER_2' });

  assert.equal((await app.call('PUT', shadow, owner, candidate)).body.error.code, 'DATASET_NOT_FOUND');
  assert.equal((await app.call('PUT', urnPath(URN), admin, policy(URN))).status, 201);
  assert.equal((await app.call('PUT', shadow, stranger, candidate)).status, 403);
  const mismatch = await app.call('PUT', shadow, owner, policy('urn:dp:other:one'));
  assert.equal(mismatch.body.error.code, 'ID_MISMATCH');
  const dry = await app.call('PUT', `${shadow}?dry_run=true`, owner, candidate);
  assert.equal(dry.status, 201);
  assert.equal((await app.call('GET', shadow, owner)).body.error.code, 'SHADOW_NOT_FOUND', 'a dry run stores nothing');

  const attached = await app.call('PUT', shadow, owner, candidate);
  assert.equal(attached.status, 201);
  assert.deepEqual([attached.body.version, attached.body.based_on_version, attached.body.tier], [1, 1, 'TIER_2']);
  assert.equal((await app.call('PUT', shadow, owner, candidate)).body.version, 1, 'same body: unchanged');
  const replaced = await app.call('PUT', shadow, owner, policy(URN, { tier: 'TIER_3' }), { 'if-match': '"1"' });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.body.version, 2);
  const read = await app.call('GET', shadow, stranger);
  assert.equal(read.headers.get('etag'), '"2"');
  assert.equal(read.body.tier, 'TIER_3');

  const snap = await app.call('GET', '/v1/snapshot', admin);
  assert.deepEqual(
    snap.body.shadows.map((p: { dataset_urn: string; tier: string; version: number }) => [
      p.dataset_urn,
      p.tier,
      p.version,
    ]),
    [[URN, 'TIER_3', 2]],
    'enforcers get the candidate in the snapshot',
  );
  assert.equal((await app.call('GET', `${shadow}/report`, owner)).body.error.code, 'SHADOW_REPORT_UNAVAILABLE');

  assert.equal((await app.call('POST', `${shadow}/promote`, stranger)).status, 403);
  assert.equal((await app.call('POST', `${shadow}/promote`, owner, undefined, { 'if-match': '"1"' })).status, 412);
  const promoted = await app.call('POST', `${shadow}/promote`, owner, undefined, { 'if-match': '"2"' });
  assert.equal(promoted.status, 200);
  assert.deepEqual([promoted.body.version, promoted.body.tier, promoted.body.updated_by], [2, 'TIER_3', 'olga']);
  assert.equal((await app.call('GET', urnPath(URN), owner)).body.tier, 'TIER_3');
  assert.equal((await app.call('GET', shadow, owner)).status, 404);
  assert.equal((await app.call('GET', '/v1/snapshot', admin)).body.shadows, undefined, 'no candidate, no shadows');
  const audit = await app.call('GET', `/v1/audit?target=${encodeURIComponent(URN)}&limit=4`, owner);
  assert.deepEqual(
    audit.body.items.map((e: { action: string }) => e.action),
    ['shadow.detach', 'policy.promote', 'shadow.attach', 'shadow.attach'],
  );
  const diff = await app.call('GET', urnPath(URN, 'policy/versions/1/diff/2'), owner);
  assert.deepEqual(diff.body.changes, [{ op: 'replace', path: '/tier', from_value: 'TIER_1', value: 'TIER_3' }]);

  assert.equal((await app.call('PUT', shadow, owner, candidate)).status, 201);
  assert.equal((await app.call('DELETE', shadow, stranger)).status, 403);
  assert.equal((await app.call('DELETE', shadow, owner)).status, 204);
  assert.equal((await app.call('DELETE', shadow, owner)).body.error.code, 'SHADOW_NOT_FOUND');
}

test('shadow candidate API: sqlite store', async (t) => {
  await scenario(t, tempSqlite(t));
});

test('shadow candidate API: dynamodb store on moto', async (t) => {
  await scenario(t, await dynamoStore(t));
});
