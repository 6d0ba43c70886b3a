/** The REST API over real HTTP with real tokens (SQLite store): every status code of section 5 and more. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { glueClient } from '../../../src/common/aws.js';
import { GlueSchemaRegistry } from '../../../src/control-plane/schema-registry.js';
import { contract, type Json, policy, SECRET, startApp, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:created';

test('policy lifecycle: 201, 200, idempotent, ETag, If-Match, audit', async (t) => {
  const cp = await startApp(t);
  const alice = await cp.token({ sub: 'alice', teams: ['orders-team'] });

  const created = await cp.call('PUT', urnPath(URN), alice, policy(URN));
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('etag'), '"1"');
  assert.equal(created.body.version, 1);
  assert.equal(created.body.updated_by, 'alice');

  const again = await cp.call('PUT', urnPath(URN), alice, policy(URN));
  assert.equal(again.status, 200);
  assert.equal(again.body.version, 1, 'the same body twice changes nothing, version included');
  assert.equal(again.body.updated_at, created.body.updated_at);

  const got = await cp.call('GET', urnPath(URN), alice);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('etag'), '"1"');

  const updated = await cp.call('PUT', urnPath(URN), alice, policy(URN, { tier: 'TIER_2' }), { 'if-match': '"1"' });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.version, 2);
  assert.equal(updated.headers.get('etag'), '"2"');

  const stale = await cp.call('PUT', urnPath(URN), alice, policy(URN, { tier: 'TIER_3' }), { 'if-match': '"1"' });
  assert.equal(stale.status, 412);
  assert.equal(stale.body.error.code, 'PRECONDITION_FAILED');
  assert.equal((await cp.call('GET', urnPath(URN), alice)).body.tier, 'TIER_2');

  const audit = await cp.call('GET', '/v1/audit?limit=10', alice);
  assert.equal(audit.status, 200);
  assert.deepEqual(
    audit.body.items.map((a: Json) => [a.seq, a.action, a.actor, a.before_version, a.after_version]),
    [
      [2, 'policy.update', 'alice', 1, 2],
      [1, 'policy.create', 'alice', null, 1],
    ],
  );
});

test('400 names the failing path; malformed JSON 400; 413; 415; 431', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const bad = await cp.call('PUT', urnPath(URN), admin, policy(URN, { tier: 'GOLD', extra: 1 }));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  const paths = bad.body.error.details.map((d: Json) => d.path);
  assert.ok(paths.includes('/body/tier'), JSON.stringify(paths));
  assert.ok(paths.includes('/body/extra'), JSON.stringify(paths));

  const missing = await cp.call('PUT', urnPath(URN), admin, { ...policy(URN), owners: undefined });
  assert.ok(missing.body.error.details.some((d: Json) => d.path === '/body/owners'));

  const badUrn = await cp.call('GET', urnPath('not-a-urn'), admin);
  assert.equal(badUrn.status, 400);
  assert.equal(badUrn.body.error.details[0].path, '/params/dataset_urn');

  const malformed = await cp.call('PUT', urnPath(URN), admin, '{"dataset_urn":', {
    'content-type': 'application/json',
  });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 'MALFORMED_REQUEST');

  const media = await cp.call('PUT', urnPath(URN), admin, 'x', { 'content-type': 'text/csv' });
  assert.equal(media.status, 415);
  assert.equal(media.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');

  const big = await cp.call('PUT', urnPath(URN), admin, policy(URN, { pad: 'x'.repeat(1024 * 1024) }));
  assert.equal(big.status, 413);
  assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE');

  const cursor = await cp.call('GET', '/v1/datasets?cursor=%%%', admin);
  assert.equal(cursor.status, 400);
  assert.equal(cursor.body.error.code, 'INVALID_CURSOR');

  // Node's HTTP parser refuses a request line + headers over 16 KiB before routing; the answer
  // still carries the error envelope (schemathesis found fastify's own body here once).
  const long = await cp.call('GET', `/v1/audit?cursor=${'a'.repeat(20_000)}`, admin);
  assert.equal(long.status, 431);
  assert.equal(long.body.error.code, 'HEADERS_TOO_LARGE');
  const header = await cp.call('GET', '/v1/datasets', admin, undefined, { 'x-pad': 'b'.repeat(20_000) });
  assert.equal(header.status, 431);
  assert.equal(header.body.error.code, 'HEADERS_TOO_LARGE');
  assert.equal((await cp.call('GET', '/v1/datasets', admin)).status, 200, 'the server still answers');
});

test('401: missing, malformed, wrongly signed and expired tokens', async (t) => {
  const cp = await startApp(t);
  const key = (s: string) => new TextEncoder().encode(s);
  const forged = await new SignJWT({ teams: [], roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory')
    .sign(key('another-secret-0123456789abcdef'));
  const expired = await new SignJWT({ teams: [], roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('old')
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(key(SECRET));
  const badClaims = await new SignJWT({ teams: 'orders-team' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('x')
    .sign(key(SECRET));
  for (const token of [undefined, 'garbage', forged, expired, badClaims]) {
    const r = await cp.call('GET', '/v1/datasets', token);
    assert.equal(r.status, 401, String(token));
    assert.equal(r.body.error.code, 'UNAUTHENTICATED');
  }
  const r = await cp.call('PUT', urnPath(URN), undefined, policy(URN));
  assert.equal(r.status, 401, 'auth is checked before the body');
});

test('403: ownership, handing datasets away, service and global rules', async (t) => {
  const cp = await startApp(t);
  const alice = await cp.token({ sub: 'alice', teams: ['orders-team'] });
  const bob = await cp.token({ sub: 'bob', teams: ['payments-team'] });
  const carol = await cp.token({ sub: 'carol', teams: ['orders-team', 'payments-team'] });
  const enforcer = await cp.token({ sub: 'enforcer', roles: ['service'] });
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });

  const forbidden = async (r: { status: number; body: Json }) => {
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'FORBIDDEN');
  };
  await forbidden(await cp.call('PUT', urnPath(URN), bob, policy(URN)));
  assert.equal((await cp.call('PUT', urnPath(URN), alice, policy(URN))).status, 201);
  await forbidden(await cp.call('PUT', urnPath(URN), bob, policy(URN, { owners: ['payments-team'] })));
  await forbidden(await cp.call('PUT', urnPath(URN), alice, policy(URN, { owners: ['payments-team'] })));
  await forbidden(await cp.call('PUT', urnPath(URN), alice, policy(URN, { owners: ['orders-team', 'payments-team'] })));
  await forbidden(await cp.call('PUT', urnPath(URN), enforcer, policy(URN, { tier: 'TIER_2' })));
  await forbidden(await cp.call('PUT', urnPath(URN, 'ops'), bob, { actions_paused: true, disabled_gates: [] }));
  const rule = { source_type: 'TOPIC', source_value: 'raw.orders', dataset_urn: URN, resolution_confidence: 'HIGH' };
  await forbidden(await cp.call('PUT', urnPath(URN, 'resolution'), bob, { rules: [rule] }));
  await forbidden(await cp.call('PUT', '/v1/ops/global', alice, { safe_mode: true }));
  await forbidden(await cp.call('PUT', '/v1/contracts/dc:x:1', enforcer, contract('dc:x:1')));

  assert.equal((await cp.call('PUT', urnPath(URN), carol, policy(URN, { owners: ['payments-team'] }))).status, 200);
  assert.equal(
    (await cp.call('PUT', urnPath(URN), bob, policy(URN, { owners: ['payments-team'], tier: 'TIER_2' }))).status,
    200,
  );
  await forbidden(
    await cp.call('PUT', urnPath(URN), alice, policy(URN, { owners: ['payments-team'], tier: 'TIER_3' })),
  );
  assert.equal((await cp.call('PUT', '/v1/ops/global', admin, { safe_mode: true })).status, 201);
  for (const path of ['/v1/datasets', urnPath(URN), '/v1/snapshot', '/v1/audit', '/v1/ops/global']) {
    assert.equal((await cp.call('GET', path, enforcer)).status, 200, `service reads ${path}`);
  }
});

test('422 logical errors and 404s', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const code422 = async (r: { status: number; body: Json }, code: string) => {
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.error.code, code);
  };
  await code422(
    await cp.call('PUT', urnPath(URN), admin, policy(URN, { enforcement_mode: 'REPUBLISH_PASS_ONLY' })),
    'BLESSED_TOPIC_REQUIRED',
  );
  await code422(
    await cp.call('PUT', urnPath(URN), admin, policy(URN, { contract_id: 'dc:nope:1' })),
    'UNKNOWN_CONTRACT',
  );
  await code422(await cp.call('PUT', urnPath(URN), admin, policy('urn:dp:orders:other')), 'ID_MISMATCH');
  await code422(
    await cp.call(
      'PUT',
      '/v1/contracts/dc:bad:1',
      admin,
      contract('dc:bad:1', { fields: [{ path: 'a', pattern: '(' }] }),
    ),
    'INVALID_CONTRACT',
  );
  // Issue 13.1: patterns run on RE2; what RE2 cannot run (lookaround, backreferences) is refused,
  // and the catastrophic-on-V8 ones it runs in linear time are accepted.
  for (const pattern of ['(?=a)a', '(a)\\1']) {
    const r = await cp.call(
      'PUT',
      '/v1/contracts/dc:re2:1',
      admin,
      contract('dc:re2:1', { fields: [{ path: 'a', pattern }] }),
    );
    await code422(r, 'INVALID_CONTRACT');
    assert.match(JSON.stringify(r.body), /RE2/, 'the message names the engine');
  }
  assert.equal(
    (
      await cp.call(
        'PUT',
        '/v1/contracts/dc:redos:1',
        admin,
        contract('dc:redos:1', {
          fields: [
            { path: 'a', pattern: '^(a+)+$' },
            { path: 'b', pattern: '(x|x)*y' },
          ],
        }),
      )
    ).status,
    201,
  );
  assert.equal((await cp.call('GET', urnPath(URN), admin)).body.error.code, 'DATASET_NOT_FOUND');
  assert.equal((await cp.call('GET', '/v1/contracts/dc:none:1', admin)).status, 404);
  assert.equal(
    (await cp.call('PUT', urnPath(URN, 'ops'), admin, { actions_paused: true, disabled_gates: [] })).status,
    404,
  );
  assert.equal((await cp.call('GET', '/v1/unknown', admin)).body.error.code, 'NOT_FOUND');

  assert.equal((await cp.call('PUT', urnPath(URN), admin, policy(URN))).status, 201);
  await code422(
    await cp.call('PUT', urnPath(URN, 'ops'), admin, { actions_paused: false, disabled_gates: ['RESOLUTION'] }),
    'INVALID_OPS_TOGGLE',
  );
  await code422(
    await cp.call('PUT', urnPath(URN, 'ops'), admin, {
      actions_paused: false,
      disabled_gates: [],
      mode_override: 'REPUBLISH_PASS_ONLY',
    }),
    'BLESSED_TOPIC_REQUIRED',
  );
  const rule = { source_type: 'TOPIC_PATTERN', source_value: '([', dataset_urn: URN, resolution_confidence: 'HIGH' };
  await code422(await cp.call('PUT', urnPath(URN, 'resolution'), admin, { rules: [rule] }), 'INVALID_RESOLUTION_RULE');
  await code422(
    await cp.call('PUT', urnPath(URN, 'resolution'), admin, {
      rules: [{ ...rule, source_value: 'x', dataset_urn: 'urn:dp:a:b' }],
    }),
    'ID_MISMATCH',
  );
});

test('contracts are immutable: same body 200, different body 409', async (t) => {
  const cp = await startApp(t);
  const alice = await cp.token({ sub: 'alice', teams: ['orders-team'] });
  const id = 'dc:orders.created:3';
  const first = await cp.call('PUT', `/v1/contracts/${id}`, alice, contract(id));
  assert.equal(first.status, 201);
  assert.equal(first.body.created_by, 'alice');
  assert.equal((await cp.call('PUT', `/v1/contracts/${id}`, alice, contract(id))).status, 200);
  const changed = await cp.call('PUT', `/v1/contracts/${id}`, alice, contract(id, { description: 'changed' }));
  assert.equal(changed.status, 409);
  assert.equal(changed.body.error.code, 'CONTRACT_IMMUTABLE');
  assert.deepEqual((await cp.call('GET', `/v1/contracts/${id}`, alice)).body, first.body);
  assert.equal((await cp.call('PUT', urnPath(URN), alice, policy(URN, { contract_id: id }))).status, 201);
});

test('resolution: overlapping claims need distinct extraction rules (409)', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const other = 'urn:dp:orders:cancelled';
  for (const u of [URN, other]) assert.equal((await cp.call('PUT', urnPath(u), admin, policy(u))).status, 201);
  const rule = (urn: string, extra: object = {}) => ({
    source_type: 'TOPIC',
    source_value: 'raw.orders.events',
    dataset_urn: urn,
    resolution_confidence: 'HIGH',
    ...extra,
  });
  const r1 = await cp.call('PUT', urnPath(URN, 'resolution'), admin, { rules: [rule(URN)] });
  assert.equal(r1.status, 201);
  const clash = await cp.call('PUT', urnPath(other, 'resolution'), admin, { rules: [rule(other)] });
  assert.equal(clash.status, 409);
  assert.equal(clash.body.error.code, 'RESOLUTION_CONFLICT');
  const pattern = await cp.call('PUT', urnPath(other, 'resolution'), admin, {
    rules: [
      {
        ...rule(other),
        source_type: 'TOPIC_PATTERN',
        source_value: 'raw\\.orders\\..*',
        extraction_rule: 'event_type=orders.cancelled',
      },
    ],
  });
  assert.equal(pattern.status, 409, 'the first dataset claims the whole topic');

  const ex1 = await cp.call(
    'PUT',
    urnPath(URN, 'resolution'),
    admin,
    { rules: [rule(URN, { extraction_rule: 'event_type=orders.created' })] },
    { 'if-match': '"1"' },
  );
  assert.equal(ex1.status, 200);
  assert.equal(ex1.body.version, 2);
  const ex2 = await cp.call('PUT', urnPath(other, 'resolution'), admin, {
    rules: [rule(other, { extraction_rule: 'event_type=orders.cancelled' })],
  });
  assert.equal(ex2.status, 201);
  const snap = await cp.call('GET', '/v1/snapshot', admin);
  assert.equal(snap.body.resolution.length, 2);
  assert.equal((await cp.call('GET', urnPath(other, 'resolution'), admin)).headers.get('etag'), '"1"');
});

test('concurrent conflicting updates: exactly one wins, the others get 412', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  assert.equal((await cp.call('PUT', urnPath(URN), admin, policy(URN))).status, 201);
  const tiers = ['TIER_2', 'TIER_3', 'TIER_2', 'TIER_3', 'TIER_2', 'TIER_3', 'TIER_2', 'TIER_3'];
  const results = await Promise.all(
    tiers.map((tier, i) =>
      cp.call('PUT', urnPath(URN), admin, policy(URN, { tier, volume_rpm_expected: 2000 + i }), { 'if-match': '"1"' }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
  const winner = results.find((r) => r.status === 200)!;
  const now = await cp.call('GET', urnPath(URN), admin);
  assert.equal(now.body.version, 2);
  assert.equal(now.body.volume_rpm_expected, winner.body.volume_rpm_expected);

  // Without If-Match every PUT is applied in turn: no lost updates, one version each.
  const free = await Promise.all(
    [1, 2, 3, 4].map((i) => cp.call('PUT', urnPath(URN), admin, policy(URN, { volume_rpm_expected: i }))),
  );
  assert.ok(free.every((r) => r.status === 200));
  assert.deepEqual(free.map((r) => r.body.version).sort(), [3, 4, 5, 6]);
  const audit = await cp.call('GET', `/v1/audit?target=${encodeURIComponent(URN)}`, admin);
  assert.equal(audit.body.items.length, 6);
});

test('ops toggles: defaults at version 0, audited, in the snapshot', async (t) => {
  const cp = await startApp(t);
  const alice = await cp.token({ sub: 'alice', teams: ['orders-team'] });
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  assert.equal((await cp.call('PUT', urnPath(URN), alice, policy(URN))).status, 201);
  const before = await cp.call('GET', urnPath(URN, 'ops'), alice);
  assert.equal(before.status, 200);
  assert.equal(before.body.version, 0);
  assert.equal(before.headers.get('etag'), '"0"');
  const set = await cp.call(
    'PUT',
    urnPath(URN, 'ops'),
    alice,
    { actions_paused: true, disabled_gates: ['PII'], mode_override: 'ALERT_ONLY' },
    { 'if-match': '"0"' },
  );
  assert.equal(set.status, 201);
  assert.equal((await cp.call('PUT', '/v1/ops/global', admin, { safe_mode: true })).status, 201);
  assert.equal((await cp.call('PUT', '/v1/ops/global', admin, { safe_mode: true })).status, 200);
  assert.equal((await cp.call('GET', '/v1/ops/global', alice)).body.safe_mode, true);
  const snap = await cp.call('GET', '/v1/snapshot', alice);
  assert.deepEqual(snap.body.ops, {
    global: { safe_mode: true },
    datasets: { [URN]: { actions_paused: true, disabled_gates: ['PII'], mode_override: 'ALERT_ONLY' } },
  });
  const actions = (await cp.call('GET', '/v1/audit', admin)).body.items.map((a: Json) => a.action);
  assert.deepEqual(actions, ['ops.global.put', 'ops.dataset.put', 'policy.create']);
});

test('snapshot change feed: watermark ETag, 304, bumps on every change', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const empty = await cp.call('GET', '/v1/snapshot', admin);
  assert.equal(empty.status, 200);
  assert.equal(empty.headers.get('etag'), '"0"');
  assert.deepEqual(empty.body, {
    version: 0,
    policies: [],
    resolution: [],
    contracts: [],
    ops: { global: { safe_mode: false }, datasets: {} },
  });
  assert.equal((await cp.call('GET', '/v1/snapshot', admin, undefined, { 'if-none-match': '"0"' })).status, 304);

  await cp.call('PUT', '/v1/contracts/dc:c:1', admin, contract('dc:c:1'));
  await cp.call('PUT', urnPath(URN), admin, policy(URN, { contract_id: 'dc:c:1' }));
  await cp.call('PUT', urnPath(URN), admin, policy(URN, { contract_id: 'dc:c:1' })); // no-op: no bump
  const s = await cp.call('GET', '/v1/snapshot', admin, undefined, { 'if-none-match': '"0"' });
  assert.equal(s.status, 200);
  assert.equal(s.headers.get('etag'), '"2"');
  assert.equal(s.body.version, 2);
  assert.equal(s.body.contracts[0].contract_id, 'dc:c:1');
  assert.equal(s.body.contracts[0].version, undefined, 'contracts are served exactly as the model');
  assert.equal(s.body.policies[0].version, 1);
  assert.equal((await cp.call('GET', '/v1/snapshot', admin, undefined, { 'if-none-match': '"2"' })).status, 304);
});

test('pagination of datasets and audit', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const urns = Array.from({ length: 7 }, (_, i) => `urn:dp:orders:d${i}`);
  for (const u of urns) assert.equal((await cp.call('PUT', urnPath(u), admin, policy(u))).status, 201);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: Json = await cp.call('GET', `/v1/datasets?limit=3${cursor ? `&cursor=${cursor}` : ''}`, admin);
    assert.equal(r.status, 200);
    seen.push(...r.body.items.map((p: Json) => p.dataset_urn));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, urns);
  const a1 = await cp.call('GET', '/v1/audit?limit=4', admin);
  const a2 = await cp.call('GET', `/v1/audit?limit=4&cursor=${a1.body.next_cursor}`, admin);
  assert.deepEqual(
    [...a1.body.items, ...a2.body.items].map((a: Json) => a.seq),
    [7, 6, 5, 4, 3, 2, 1],
  );
  assert.equal(a2.body.next_cursor, null);
  assert.equal((await cp.call('GET', '/v1/datasets?limit=0', admin)).status, 400);
});

test('500 when the store fails, 503 when not ready; evidence disabled is 503', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  assert.equal((await cp.call('GET', '/readyz')).status, 200);
  assert.equal((await cp.call('GET', '/healthz')).status, 200);
  const ev = await cp.call('GET', '/v1/evidence', admin);
  assert.equal(ev.status, 503);
  assert.equal(ev.body.error.code, 'EVIDENCE_INDEX_DISABLED');
  await cp.store.close(); // a real failure of the real store, no mock
  const put = await cp.call('PUT', urnPath(URN), admin, policy(URN));
  assert.equal(put.status, 500);
  assert.equal(put.body.error.code, 'STORE_FAILURE');
  const ready = await cp.call('GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.error.code, 'NOT_READY');
  assert.equal((await cp.call('GET', '/healthz')).status, 200, 'liveness does not depend on the store');
});

test('503 SCHEMA_REGISTRY_UNAVAILABLE when Glue does not answer', async (t) => {
  // A port nothing listens on: a real connection failure.
  const glue = glueClient({ awsEndpoint: 'http://127.0.0.1:9', awsRegion: 'us-east-1' });
  t.after(() => glue.destroy());
  const cp = await startApp(t, { schemas: new GlueSchemaRegistry(glue, 'signal-factory') });
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const r = await cp.call('PUT', urnPath(URN), admin, policy(URN, { schema_id: 'glue:orders.created:1' }));
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, 'SCHEMA_REGISTRY_UNAVAILABLE');
});

test('metrics count requests by route pattern', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  await cp.call('GET', urnPath(URN), admin);
  const m = await cp.call('GET', '/metrics');
  assert.equal(m.status, 200);
  assert.match(
    m.body,
    /http_requests_total\{method="GET",route="\/v1\/datasets\/:dataset_urn\/policy",status="404"\} 1/,
  );
  assert.match(m.body, /http_request_duration_seconds_bucket/);
});
