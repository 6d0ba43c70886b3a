/**
 * The DynamoDB store and the Glue existence check against a real moto server
 * (SF_AWS_ENDPOINT; scripts/stack up exports it). Each run uses its own table prefix.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { CreateRegistryCommand, CreateSchemaCommand } from '@aws-sdk/client-glue';
import { glueClient } from '../../../src/common/aws.js';
import { VersionConflictError } from '../../../src/control-plane/errors.js';
import { GlueSchemaRegistry } from '../../../src/control-plane/schema-registry.js';
import { awsFromEnv, dynamoStore, type Json, policy, startApp, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:created';

const audit = (target: string, after: number) => ({
  at: new Date().toISOString(),
  actor: 't',
  action: 'policy.update' as const,
  target,
  before_version: after - 1 || null,
  after_version: after,
});

test('dynamodb store: conditional versions, watermark and audit move together', async (t) => {
  const store = await dynamoStore(t);
  assert.equal(await store.watermark(), 0);
  await store.ping();
  assert.equal(
    await store.commit({ kind: 'policy', key: 'a', expectedVersion: null, doc: { version: 1 }, audit: audit('a', 1) }),
    1,
  );
  await assert.rejects(
    store.commit({ kind: 'policy', key: 'a', expectedVersion: null, doc: { version: 1 }, audit: audit('a', 1) }),
    VersionConflictError,
  );
  assert.equal(
    await store.commit({ kind: 'policy', key: 'a', expectedVersion: 1, doc: { version: 2 }, audit: audit('a', 2) }),
    2,
  );
  await assert.rejects(
    store.commit({
      kind: 'policy',
      key: 'b',
      expectedVersion: null,
      doc: { version: 1 },
      audit: audit('b', 1),
      atWatermark: 1,
    }),
    VersionConflictError,
    'a pinned watermark that moved is a conflict',
  );
  assert.equal(await store.watermark(), 2);
  assert.deepEqual(await store.get('policy', 'a'), { version: 2 });
  const log = await store.audit({ limit: 10 });
  assert.deepEqual(
    log.items.map((e) => e.seq),
    [2, 1],
  );
  assert.equal((await store.audit({ limit: 10, target: 'b' })).items.length, 0);

  // A delete is conditional like a put, and audited with the watermark.
  const del = (expected: number) => ({
    kind: 'policy' as const,
    key: 'a',
    expectedVersion: expected,
    doc: null,
    audit: { ...audit('a', 3), action: 'policy.delete' as const, before_version: expected, after_version: null },
  });
  await assert.rejects(store.commit(del(1)), VersionConflictError, 'a stale version deletes nothing');
  assert.deepEqual(await store.get('policy', 'a'), { version: 2 });
  assert.equal(await store.commit(del(2)), 3);
  assert.equal(await store.get('policy', 'a'), undefined);
  assert.equal((await store.audit({ limit: 1 })).items[0].after_version, null);
});

test('dynamodb store behind the API: create, update, 412, concurrency, pagination, snapshot', async (t) => {
  const store = await dynamoStore(t);
  const cp = await startApp(t, { store });
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  assert.equal((await cp.call('PUT', urnPath(URN), admin, policy(URN))).status, 201);
  assert.equal((await cp.call('PUT', urnPath(URN), admin, policy(URN))).status, 200);
  assert.equal((await cp.call('GET', urnPath(URN), admin)).headers.get('etag'), '"1"');

  // moto is not concurrency-safe under load: a handful of racers is enough to prove the condition.
  const racers = await Promise.all(
    [2001, 2002, 2003, 2004].map((v) =>
      cp.call('PUT', urnPath(URN), admin, policy(URN, { volume_rpm_expected: v }), { 'if-match': '"1"' }),
    ),
  );
  assert.deepEqual(racers.map((r) => r.status).sort(), [200, 412, 412, 412]);
  const free = await Promise.all(
    [1, 2, 3].map((i) => cp.call('PUT', urnPath(URN), admin, policy(URN, { freshness_slo_sec: i }))),
  );
  assert.deepEqual(
    free.map((r) => r.status),
    [200, 200, 200],
  );
  assert.deepEqual(free.map((r) => r.body.version).sort(), [3, 4, 5], 'no lost updates');

  for (const i of [1, 2, 3, 4]) {
    const u = `urn:dp:orders:p${i}`;
    assert.equal((await cp.call('PUT', urnPath(u), admin, policy(u))).status, 201);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const r: Json = await cp.call('GET', `/v1/datasets?limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin);
    seen.push(...r.body.items.map((p: Json) => p.dataset_urn));
    cursor = r.body.next_cursor;
  } while (cursor);
  assert.equal(new Set(seen).size, 5);

  const snap = await cp.call('GET', '/v1/snapshot', admin);
  assert.equal(snap.body.version, 9);
  assert.equal(snap.body.policies.length, 5);
  const log = await cp.call('GET', '/v1/audit?limit=100', admin);
  assert.deepEqual(
    log.body.items.map((a: Json) => a.seq),
    [9, 8, 7, 6, 5, 4, 3, 2, 1],
    'audit seq is the watermark: gapless',
  );
  assert.equal((await cp.call('GET', '/readyz')).status, 200);
});

test('glue existence check: known version passes, unknown is 422 UNKNOWN_SCHEMA', async (t) => {
  const glue = glueClient(awsFromEnv());
  t.after(() => glue.destroy());
  const registry = `sf-cp-test-${randomUUID().slice(0, 8)}`;
  await glue.send(new CreateRegistryCommand({ RegistryName: registry }));
  await glue.send(
    new CreateSchemaCommand({
      RegistryId: { RegistryName: registry },
      SchemaName: 'orders.created',
      DataFormat: 'JSON',
      Compatibility: 'BACKWARD',
      SchemaDefinition: JSON.stringify({ type: 'object', properties: { order_id: { type: 'string' } } }),
    }),
  );
  const schemas = new GlueSchemaRegistry(glue, registry);
  assert.equal(await schemas.exists('glue:orders.created:1'), true);
  assert.equal(await schemas.exists('glue:orders.created:2'), false);
  assert.equal(await schemas.exists('glue:nope:1'), false);

  const cp = await startApp(t, { schemas });
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const bad = await cp.call('PUT', urnPath(URN), admin, policy(URN, { schema_id: 'glue:orders.created:7' }));
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.code, 'UNKNOWN_SCHEMA');
  assert.equal(bad.body.error.details.path, '/schema_id');
  const ok = await cp.call('PUT', urnPath(URN), admin, policy(URN, { schema_id: 'glue:orders.created:1' }));
  assert.equal(ok.status, 201);
});
