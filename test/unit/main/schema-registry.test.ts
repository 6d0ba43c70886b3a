/**
 * One schema cache over both registries (src/main/schema-registry.ts) and the enforcer's use of
 * it (PolicySnapshots.ensureSchemas): TTL and last-known-good, "not found" vs "unavailable",
 * and a retry circuit per registry. The sources are stubs at our own interface (fault
 * injection); the real registries are exercised in test/integration.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../src/common/logger.js';
import { EnforcerMetrics } from '../../../src/main/metrics.js';
import { PolicySnapshots } from '../../../src/main/policy-snapshot.js';
import { registryOf, SchemaRegistryCache, type SchemaSource } from '../../../src/main/schema-registry.js';
import type { RegistryKind } from '../../../src/models/common.js';
import { decodeSnapshot } from '../../../src/workers/pack.js';
import type { RegistrySchema } from '../../../src/workers/protocol.js';

/** A registry that answers, says "not found" (404-like), or is down, as the test sets it. */
class StubSource implements SchemaSource {
  state: 'up' | 'down' = 'up';
  calls: string[] = [];
  constructor(
    readonly kind: RegistryKind,
    private readonly known: Record<string, RegistrySchema>,
  ) {}
  async fetch(id: string): Promise<RegistrySchema> {
    this.calls.push(id);
    if (this.state === 'down') throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'TypeError' });
    const s = this.known[id];
    if (s === undefined) throw Object.assign(new Error('not found'), { name: 'RegistryHttpError', notFound: true });
    return s;
  }
}

const csrSchema: RegistrySchema = {
  schema_id: 'csr:orders-value:1',
  version_id: 'csr:id:7',
  schema_name: 'csr:orders-value',
  version_number: 1,
  data_format: 'JSON',
  definition: '{"type":"object"}',
  compatibility: 'BACKWARD',
};
const glueSchema: RegistrySchema = {
  ...csrSchema,
  schema_id: 'glue:orders:1',
  version_id: '11111111-1111-4111-8111-111111111111',
  schema_name: 'orders',
};

test('registryOf: csr: ids go to the Confluent registry, the rest to Glue', () => {
  assert.equal(registryOf('csr:id:7'), 'csr');
  assert.equal(registryOf('csr:orders-value:1'), 'csr');
  assert.equal(registryOf('glue:orders:1'), 'glue');
  assert.equal(registryOf('11111111-1111-4111-8111-111111111111'), 'glue');
});

test('cache: both ids of a schema hit one entry; past the TTL a failed refresh keeps the last-known-good copy', async () => {
  let now = 0;
  const csr = new StubSource('csr', { 'csr:orders-value:1': csrSchema });
  const cache = new SchemaRegistryCache([csr], 1000, () => now);
  assert.deepEqual(await cache.get('csr:orders-value:1'), { ok: true, schema: csrSchema, cached: false });
  assert.deepEqual(await cache.get('csr:id:7'), { ok: true, schema: csrSchema, cached: true });
  now = 5000;
  csr.state = 'down';
  assert.deepEqual(await cache.get('csr:id:7'), { ok: true, schema: csrSchema, cached: true });
  // The refresh asked by the richest id known (the subject version), not the bare global id.
  assert.equal(csr.calls.at(-1), 'csr:orders-value:1');
});

test('cache: "not found" and "unavailable" are told apart; an unconfigured registry is unavailable', async () => {
  const csr = new StubSource('csr', {});
  const cache = new SchemaRegistryCache([csr], 1000);
  const missing = await cache.get('csr:id:99');
  assert.equal(missing.ok, false);
  assert.equal(!missing.ok && missing.notFound, true);
  csr.state = 'down';
  const down = await cache.get('csr:id:99');
  assert.equal(!down.ok && down.notFound, false);
  const glueOnly = new SchemaRegistryCache([new StubSource('glue', {})], 1000);
  const none = await glueOnly.get('csr:id:1');
  assert.deepEqual(none, { ok: false, error: 'no SF_SCHEMA_REGISTRY_URL configured', notFound: false });
});

test('ensureSchemas: one circuit per registry; a not-found answer opens none and is SCHEMA_NOT_FOUND, not unavailable', async () => {
  const glue = new StubSource('glue', { 'glue:orders:1': glueSchema });
  const csr = new StubSource('csr', { 'csr:orders-value:1': csrSchema });
  const snaps = new PolicySnapshots({
    controlPlaneUrl: 'http://127.0.0.1:9',
    token: 'unused',
    identityKeys: {},
    registry: new SchemaRegistryCache([glue, csr], 60_000),
    schemaRetryMs: 60_000,
    metrics: new EnforcerMetrics(),
    log: createLogger('test', 'silent'),
  });
  const unavailable = () => decodeSnapshot(snaps.snapshot().buffer).unavailable_schemas;

  // Confluent says "no such id": not an outage, so the next Confluent id is still asked.
  await snaps.ensureSchemas(['csr:id:404', 'csr:orders-value:1']);
  assert.deepEqual(csr.calls, ['csr:id:404', 'csr:orders-value:1']);
  assert.deepEqual(unavailable(), [], 'a missing id is not "unavailable" (the gate says SCHEMA_NOT_FOUND)');
  assert.equal(snaps.isKnownSchema('csr:id:404'), true, 'not asked again before the retry interval');

  // Glue down: its circuit opens (the second Glue id is not asked), Confluent is still asked.
  glue.state = 'down';
  await snaps.ensureSchemas(['glue:orders:2', 'glue:orders:3', 'csr:id:7']);
  assert.deepEqual(glue.calls, ['glue:orders:2']);
  assert.deepEqual(unavailable().sort(), ['glue:orders:2', 'glue:orders:3']);
  csr.state = 'down';
  await snaps.ensureSchemas(['csr:id:8']);
  assert.equal(csr.calls.at(-1), 'csr:id:8', 'the Glue circuit does not stop Confluent lookups');
  await snaps.ensureSchemas(['csr:id:9']);
  assert.equal(csr.calls.at(-1), 'csr:id:8', 'now the Confluent circuit is open too');
});

test('ensureSchemas: a lookup budget bounds the requests of one batch; the rest are unavailable for now', async () => {
  const csr = new StubSource('csr', {});
  const snaps = new PolicySnapshots({
    controlPlaneUrl: 'http://127.0.0.1:9',
    token: 'unused',
    identityKeys: {},
    registry: new SchemaRegistryCache([csr], 60_000),
    schemaRetryMs: 60_000,
    metrics: new EnforcerMetrics(),
    log: createLogger('test', 'silent'),
  });
  const garbage = Array.from({ length: 100 }, (_, i) => `csr:id:${1000 + i}`);
  await snaps.ensureSchemas(garbage, 8);
  assert.equal(csr.calls.length, 8);
  assert.equal(decodeSnapshot(snaps.snapshot().buffer).unavailable_schemas.length, 92);
});
