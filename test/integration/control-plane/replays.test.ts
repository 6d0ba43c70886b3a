/** POST /v1/datasets/{urn}/replays: a replay run lands in the audit log, only for those who manage the dataset. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policy, startApp, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:replayed';
const RUN = {
  replay_id: 'r-1',
  policy_version: 2,
  to_topic: 'orders.blessed',
  since: '2026-12-01T00:00:00.000Z',
  scanned: 10,
  now_pass: 6,
  republished: 6,
  already_replayed: 0,
  still_fail: 4,
  failed: 0,
};

test('replay runs are audited as replay.run with their counts; owners and admins only', async (t) => {
  const app = await startApp(t);
  const admin = await app.token({ sub: 'alice', roles: ['admin'] });
  const owner = await app.token({ sub: 'olga', teams: ['orders-team'] });
  const stranger = await app.token({ sub: 'sam', teams: ['other-team'] });
  const path = urnPath(URN, 'replays');
  assert.equal((await app.call('POST', path, owner, RUN)).body.error.code, 'DATASET_NOT_FOUND');
  assert.equal((await app.call('PUT', urnPath(URN), admin, policy(URN))).status, 201);
  const watermark = await app.store.watermark();

  const ok = await app.call('POST', path, owner, RUN);
  assert.equal(ok.status, 200);
  assert.deepEqual(
    { ...ok.body, at: undefined },
    {
      seq: watermark + 1,
      at: undefined,
      actor: 'olga',
      action: 'replay.run',
      target: URN,
      before_version: null,
      after_version: null,
      details: RUN,
    },
  );
  const log = await app.call('GET', `/v1/audit?target=${encodeURIComponent(URN)}&limit=1`, stranger);
  assert.deepEqual(log.body.items[0], ok.body);

  const denied = await app.call('POST', path, stranger, RUN);
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'FORBIDDEN');
  const bad = await app.call('POST', path, owner, { ...RUN, scanned: -1, extra: true });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  assert.equal(await app.store.watermark(), watermark + 1, 'refused runs are not audited');
});
