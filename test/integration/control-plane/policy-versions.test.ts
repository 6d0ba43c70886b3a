/**
 * Policy history with content (issue 18 item 4) on both stores: every version's full body is kept
 * beside its audit entry, readable by number, and two versions diff into JSON Patch operations.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ControlPlaneStore } from '../../../src/control-plane/store/types.js';
import { dynamoStore, policy, startApp, tempSqlite, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:history';

async function historyScenario(t: TestContext, store: ControlPlaneStore) {
  const app = await startApp(t, { store });
  const admin = await app.token({ sub: 'alice', roles: ['admin'] });
  const reader = await app.token({ sub: 'bob' });
  const v1 = policy(URN, { enforcement_mode: 'ALERT_ONLY' });
  assert.equal((await app.call('PUT', urnPath(URN), admin, v1)).status, 201);
  const v2 = policy(URN, { enforcement_mode: 'QUARANTINE_ON_FAIL', owners: ['orders-team', 'risk-team'] });
  assert.equal((await app.call('PUT', urnPath(URN), admin, v2)).status, 200);
  assert.equal((await app.call('PUT', urnPath(URN), admin, v2)).status, 200, 'same content: no new version');

  const list = await app.call('GET', urnPath(URN, 'policy/versions'), reader);
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.items.map((e: { action: string; after_version: number; actor: string }) => [
      e.action,
      e.after_version,
      e.actor,
    ]),
    [
      ['policy.update', 2, 'alice'],
      ['policy.create', 1, 'alice'],
    ],
  );
  const page = await app.call('GET', `${urnPath(URN, 'policy/versions')}?limit=1`, reader);
  assert.equal(page.body.items.length, 1);
  const rest = await app.call(
    'GET',
    `${urnPath(URN, 'policy/versions')}?limit=1&cursor=${page.body.next_cursor}`,
    reader,
  );
  assert.deepEqual(
    rest.body.items.map((e: { after_version: number }) => e.after_version),
    [1],
  );

  const one = await app.call('GET', urnPath(URN, 'policy/versions/1'), reader);
  assert.equal(one.status, 200);
  assert.equal(one.headers.get('etag'), '"1"');
  assert.deepEqual(
    { ...one.body, updated_at: undefined },
    { ...v1, version: 1, updated_by: 'alice', updated_at: undefined },
  );

  const diff = await app.call('GET', urnPath(URN, 'policy/versions/1/diff/2'), reader);
  assert.equal(diff.status, 200);
  assert.deepEqual(diff.body.changes, [
    { op: 'replace', path: '/enforcement_mode', from_value: 'ALERT_ONLY', value: 'QUARANTINE_ON_FAIL' },
    { op: 'add', path: '/owners/1', value: 'risk-team' },
  ]);
  assert.deepEqual([diff.body.from.version, diff.body.to.version], [1, 2]);
  assert.equal(diff.body.to.seq > diff.body.from.seq, true);
  assert.deepEqual((await app.call('GET', urnPath(URN, 'policy/versions/2/diff/2'), reader)).body.changes, []);

  const missing = await app.call('GET', urnPath(URN, 'policy/versions/9'), reader);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'POLICY_VERSION_NOT_FOUND');
  assert.equal(
    (await app.call('GET', urnPath(URN, 'policy/versions/1/diff/9'), reader)).body.error.code,
    'POLICY_VERSION_NOT_FOUND',
  );
  const unknown = await app.call('GET', urnPath('urn:dp:nobody:here', 'policy/versions'), reader);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'DATASET_NOT_FOUND');
  assert.equal((await app.call('GET', urnPath(URN, 'policy/versions/0'), reader)).status, 400);
  assert.equal((await app.call('GET', urnPath(URN, 'policy/versions'))).status, 401);

  // A deleted policy keeps its history (the delete is an entry with no body); re-created, it
  // counts from 1 again and /versions/1 means the newest incarnation.
  assert.equal((await app.call('DELETE', urnPath(URN), admin)).status, 204);
  const v1b = policy(URN, { tier: 'TIER_2' });
  assert.equal((await app.call('PUT', urnPath(URN), admin, v1b)).status, 201);
  const after = await app.call('GET', urnPath(URN, 'policy/versions'), reader);
  assert.deepEqual(
    after.body.items.map((e: { action: string; after_version: number | null }) => [e.action, e.after_version]),
    [
      ['policy.create', 1],
      ['policy.delete', null],
      ['policy.update', 2],
      ['policy.create', 1],
    ],
  );
  assert.equal((await app.call('GET', urnPath(URN, 'policy/versions/1'), reader)).body.tier, 'TIER_2');
  assert.equal(
    (await app.call('GET', urnPath(URN, 'policy/versions/2'), reader)).body.enforcement_mode,
    'QUARANTINE_ON_FAIL',
  );
}

test('policy history with content: sqlite store', async (t) => {
  await historyScenario(t, tempSqlite(t));
});

test('policy history with content: dynamodb store on moto', async (t) => {
  await historyScenario(t, await dynamoStore(t));
});

test('appendAudit: an audit entry without an entity, at the next watermark, on both stores', async (t) => {
  for (const store of [tempSqlite(t), await dynamoStore(t)]) {
    const entry = {
      at: new Date().toISOString(),
      actor: 'replay',
      action: 'replay.run' as const,
      target: URN,
      before_version: null,
      after_version: null,
    };
    const before = await store.watermark();
    const seq = await store.appendAudit(entry);
    assert.equal(seq, before + 1);
    assert.equal(await store.watermark(), seq);
    assert.deepEqual((await store.audit({ limit: 1 })).items[0], { seq, ...entry });
  }
});
