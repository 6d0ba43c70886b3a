/**
 * Issue 9.3 and 9.4, with a real TCP proxy cutting the enforcer off from a real dependency:
 * - the schema registry (Glue on moto) goes away: cached schemas keep validating (also past
 *   their TTL: last-known-good), an uncached writer schema yields SCHEMA_REGISTRY_UNAVAILABLE,
 *   and once the registry is back the same schema validates again, with no restart;
 * - the control plane goes away: the enforcer keeps judging with its last-known-good
 *   policies, /readyz reports the degradation, and after recovery it picks up a change made
 *   while it was cut off.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateSchemaCommand, RegisterSchemaVersionCommand } from '@aws-sdk/client-glue';
import { request } from 'undici';
import { glueClient } from '../../../src/common/aws.js';
import { commonConfig } from '../../../src/common/config.js';
import { endOffsets, readEvidence } from '../../../src/dev/evidence-reader.js';
import { ordersExample } from '../../../src/dev/examples.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { tcpProxy } from '../../helpers/faults.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const VALID = { missing_customer: 0, bad_currency: 0, undeclared_pii: 0, poison: 0 };

/** Glue SerDe wire format: version 3, no compression, schema version UUID, JSON payload. */
function glueWire(versionId: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([3, 0]), Buffer.from(versionId.replace(/-/g, ''), 'hex'), payload]);
}

async function readNew(brokers: string, topic: string, from: Awaited<ReturnType<typeof endOffsets>>, n: number) {
  const r = await readEvidence({ brokers, topic, from, until: (e) => e.length >= n, timeoutMs: 90_000 });
  assert.ok(r.done, `expected ${n} evidence events, saw ${r.events.length}`);
  return r.events;
}

const schemaCodes = (events: EvidenceEvent[]) => new Set(events.flatMap((e) => e.validation.reason_codes));

describe('reliability: dependency outages', { timeout: 400_000 }, () => {
  it('keeps validating from cache while the schema registry is down, and recovers by itself', async (t) => {
    const { brokers, awsEndpoint } = stackEnv();
    const cfg = commonConfig();
    const glue = glueClient(cfg);
    const name = unique('orders-reg');
    const schema = ordersExample.schema();
    const v1 = await glue.send(
      new CreateSchemaCommand({
        RegistryId: { RegistryName: cfg.glueRegistry },
        SchemaName: name,
        DataFormat: 'JSON',
        Compatibility: 'BACKWARD',
        SchemaDefinition: JSON.stringify(schema),
      }),
    );
    // v2 drops an optional property of the open content model: BACKWARD compatible with v1.
    const { currency: _dropped, ...withoutCurrency } = schema.properties;
    const v2 = await glue.send(
      new RegisterSchemaVersionCommand({
        SchemaId: { RegistryName: cfg.glueRegistry, SchemaName: name },
        SchemaDefinition: JSON.stringify({ ...schema, properties: withoutCurrency }),
      }),
    );
    const raw = unique('it.raw.registry');
    const evidenceTopic = unique('it.evidence.registry');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 2 },
      { topic: evidenceTopic, numPartitions: 2 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY', schema_id: `glue:${name}:1` });
    const moto = await tcpProxy(t, Number(new URL(awsEndpoint).port));
    await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-registry'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_AWS_ENDPOINT: moto.url,
      SF_SCHEMA_CACHE_TTL_MS: '1000',
      SF_SCHEMA_RETRY_MS: '1000',
    });
    const wire = (versionId: string, n: number, start: number) =>
      [...orders(n, 21, VALID, start)].map((r) => ({ key: r.key, value: glueWire(versionId, r.value!) }));

    let mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, wire(v1.SchemaVersionId!, 50, 0));
    const warm = await readNew(brokers, evidenceTopic, mark, 50);
    assert.ok(
      warm.every((e) => e.validation.result === 'PASS'),
      `warm-up passes: ${[...schemaCodes(warm)]}`,
    );

    await moto.cut();
    await new Promise((r) => setTimeout(r, 1500)); // past the cache TTL: last-known-good now
    mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, [...wire(v1.SchemaVersionId!, 50, 100), ...wire(v2.SchemaVersionId!, 50, 200)]);
    const during = await readNew(brokers, evidenceTopic, mark, 100);
    const cached = during.filter((e) => (e.source.key ?? '') < 'o-1000200');
    const uncached = during.filter((e) => (e.source.key ?? '') >= 'o-1000200');
    assert.ok(
      cached.every((e) => e.validation.result === 'PASS'),
      `cached schema keeps validating: ${[...schemaCodes(cached)]}`,
    );
    assert.ok(
      uncached.every(
        (e) =>
          e.validation.failed_gates.includes('SCHEMA') &&
          e.validation.reason_codes.includes('SCHEMA_REGISTRY_UNAVAILABLE'),
      ),
      `uncached schema: ${[...schemaCodes(uncached)]}`,
    );

    await moto.restore();
    await new Promise((r) => setTimeout(r, 1500)); // past the retry interval
    mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, wire(v2.SchemaVersionId!, 50, 300));
    const after = await readNew(brokers, evidenceTopic, mark, 50);
    t.diagnostic(
      `registry down: ${cached.length} cached-schema records PASS, ${uncached.length} uncached -> SCHEMA_REGISTRY_UNAVAILABLE; after recovery ${after.filter((e) => e.validation.result === 'PASS').length}/50 PASS`,
    );
    assert.ok(
      after.every((e) => e.validation.result === 'PASS'),
      `recovered without restart: ${[...schemaCodes(after)]}`,
    );
  });

  it('runs on last-known-good policies while the control plane is unreachable, and picks up changes after', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.cpdown');
    const evidenceTopic = unique('it.evidence.cpdown');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 2 },
      { topic: evidenceTopic, numPartitions: 2 },
    ]);
    const cp = await startControlPlane(t);
    const { urn } = await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
    const proxy = await tcpProxy(t, Number(new URL(cp.url).port));
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-cpdown'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: proxy.url,
      SF_POLICY_REFRESH_MS: '300',
    });
    const bad = { missing_customer: 1, bad_currency: 0, undeclared_pii: 0, poison: 0 };

    await proxy.cut();
    let ready = 200;
    let reasons: string[] = [];
    for (let i = 0; i < 40 && ready === 200; i++) {
      const res = await request(`${enforcer.url}/readyz`);
      ready = res.statusCode;
      reasons = ((await res.body.json()) as { reasons: string[] }).reasons;
      if (ready === 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(ready, 503, 'readiness reflects the degradation');
    assert.ok(
      reasons.some((r) => r.includes('control plane unreachable')),
      reasons.join('; '),
    );

    let mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, orders(100, 4, bad));
    const lkg = await readNew(brokers, evidenceTopic, mark, 100);
    assert.ok(
      lkg.every((e) => e.dataset_urn === urn && e.validation.reason_codes.includes('MISSING_FIELD:customer_id')),
      'last-known-good policies keep judging',
    );

    // A change made while the enforcer is cut off: disable the CONTRACT gate for the dataset.
    await cp.put(`/v1/datasets/${urn}/ops`, { actions_paused: false, disabled_gates: ['CONTRACT'] });
    await proxy.restore();
    for (let i = 0; i < 40 && ready !== 200; i++) {
      ready = (await request(`${enforcer.url}/readyz`)).statusCode;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(ready, 200, 'ready again after recovery');
    mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, orders(100, 4, bad, 1000));
    const after = await readNew(brokers, evidenceTopic, mark, 100);
    t.diagnostic(
      `control plane cut: ${lkg.length} records judged on last-known-good; after recovery ${after.filter((e) => e.validation.result === 'PASS').length}/100 PASS with CONTRACT disabled`,
    );
    assert.ok(
      after.every((e) => e.validation.result === 'PASS'),
      'the change made meanwhile is applied',
    );
  });
});
