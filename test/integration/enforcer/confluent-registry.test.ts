/**
 * The enforcer and the control plane against a real Confluent-compatible registry (Apicurio's
 * ccompat API, started by scripts/stack): Avro (with a reference), JSON Schema and Protobuf
 * (with an import and a message index) records produced in Confluent framing on the real
 * broker, PASS and FAIL; COMPATIBILITY under the policy's mode; the control plane's existence
 * checks for `csr:` ids, and SCHEMA_REGISTRY_UNAVAILABLE when the registry cannot answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { confluentFrame } from '../../../src/dev/confluent-frame.js';
import { endOffsets, fromStart, readEvidence } from '../../../src/dev/evidence-reader.js';
import { produceAll } from '../../../src/dev/produce.js';
import { api, freePort } from '../../../src/dev/services.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { compileProtobuf } from '../../../src/workers/protobuf.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { tcpProxy } from '../../helpers/faults.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

function registryUrl(): string {
  const url = process.env.SF_SCHEMA_REGISTRY_URL;
  if (!url) throw new Error('integration tests need the local stack: scripts/stack up && . .stack/env');
  return url;
}

/** Registers a schema under a subject (the registry's own REST API); returns its global id. */
async function register(
  subject: string,
  schemaType: 'AVRO' | 'JSON' | 'PROTOBUF',
  schema: string,
  references: Array<{ name: string; subject: string; version: number }> = [],
): Promise<number> {
  const res = await fetch(`${registryUrl()}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType, schema, references }),
  });
  const body = (await res.json()) as { id?: number };
  assert.equal(res.status, 200, `register ${subject}: ${JSON.stringify(body)}`);
  return body.id!;
}

const ITEM_AVSC = {
  type: 'record',
  name: 'Item',
  namespace: 'acme',
  fields: [
    { name: 'sku', type: 'string' },
    { name: 'qty', type: 'int' },
  ],
};
const orderAvsc = (amount: string) => ({
  type: 'record',
  name: 'Order',
  namespace: 'acme',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'customer_id', type: ['null', 'string'], default: null },
    { name: 'created_at', type: 'string' },
    { name: 'amount', type: amount },
    { name: 'items', type: { type: 'array', items: 'acme.Item' } },
  ],
});
const ITEM_PROTO = 'syntax = "proto3";\npackage acme;\nmessage Item { string sku = 1; int32 qty = 2; }\n';
const ORDER_PROTO = `syntax = "proto3";
package acme.orders;
import "acme/item.proto";
message Envelope { string note = 1; }
message Order {
  string order_id = 1;
  string customer_id = 2;
  string created_at = 3;
  double amount = 4;
  message Customer { string email = 1; }
  Customer customer = 5;
  repeated acme.Item items = 6;
}
`;
const ORDER_JSON = {
  type: 'object',
  required: ['order_id', 'created_at'],
  properties: {
    order_id: { type: 'string' },
    customer_id: { type: 'string' },
    created_at: { type: 'string' },
    amount: { type: 'number' },
  },
};

const base = { order_id: 'o-1', customer_id: 'c-1', created_at: '2026-01-13T12:01:01.900Z', amount: 12.5 };
const items = [{ sku: 'sku-1', qty: 2 }];

describe('enforcer: Confluent-framed records against a real Confluent-compatible registry', {
  timeout: 240_000,
}, () => {
  it('decodes Avro, JSON Schema and Protobuf by the framed id, PASS and FAIL with precise codes', async (t) => {
    const { brokers } = stackEnv();
    const p = unique('it-csr').replace(/\./g, '-');
    // Schemas: Avro with a reference, JSON Schema, Protobuf with an import (all by the registry's REST API).
    await register(`${p}-item-avro`, 'AVRO', JSON.stringify(ITEM_AVSC));
    const avroRef = [{ name: 'acme.Item', subject: `${p}-item-avro`, version: 1 }];
    const avroId = await register(`${p}-orders-avro`, 'AVRO', JSON.stringify(orderAvsc('double')), avroRef);
    // Another subject whose `amount` is a string: BACKWARD-incompatible with the dataset's schema.
    const avroOtherId = await register(`${p}-orders-avro-other`, 'AVRO', JSON.stringify(orderAvsc('string')), avroRef);
    const jsonId = await register(`${p}-orders-json`, 'JSON', JSON.stringify(ORDER_JSON));
    await register(`${p}-item-proto`, 'PROTOBUF', ITEM_PROTO);
    const protoId = await register(`${p}-orders-proto`, 'PROTOBUF', ORDER_PROTO, [
      { name: 'acme/item.proto', subject: `${p}-item-proto`, version: 1 },
    ]);

    const topics = {
      avro: unique('it.raw.csr-avro'),
      json: unique('it.raw.csr-json'),
      proto: unique('it.raw.csr-proto'),
    };
    const evidenceTopic = unique('it.evidence.csr');
    await createTopics(brokers, [
      ...Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })),
      { topic: evidenceTopic, numPartitions: 1 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, topics.avro, { schema_id: `csr:${p}-orders-avro:1`, compatibility_mode: 'BACKWARD' });
    await ordersDataset(cp, topics.json, { schema_id: `csr:id:${jsonId}` });
    await ordersDataset(cp, topics.proto, { schema_id: `csr:${p}-orders-proto:1` });

    const avroReg = {};
    avro.Type.forSchema(ITEM_AVSC as never, { registry: avroReg });
    const avroType = avro.Type.forSchema(orderAvsc('double') as never, { registry: avroReg });
    const avroReg2 = {};
    avro.Type.forSchema(ITEM_AVSC as never, { registry: avroReg2 });
    const avroOther = avro.Type.forSchema(orderAvsc('string') as never, { registry: avroReg2 });
    const proto = compileProtobuf(ORDER_PROTO, [{ name: 'acme/item.proto', definition: ITEM_PROTO }]).messages[1];
    const protoBytes = (o: object) => proto.encode(proto.fromObject(o)).finish();
    const json = (o: object) => Buffer.from(JSON.stringify(o));

    // key -> [topic, value, expected result, expected gate:code or null]
    const cases: Array<[string, string, Buffer, 'PASS' | 'FAIL', string | null]> = [
      ['avro-pass', topics.avro, confluentFrame(avroId, avroType.toBuffer({ ...base, items })), 'PASS', null],
      [
        'avro-contract',
        topics.avro,
        confluentFrame(avroId, avroType.toBuffer({ ...base, customer_id: null, items })),
        'FAIL',
        'CONTRACT:MISSING_FIELD:customer_id',
      ],
      [
        'avro-truncated',
        topics.avro,
        confluentFrame(avroId, avroType.toBuffer({ ...base, items }).subarray(0, 6)),
        'FAIL',
        'ENVELOPE:AVRO_DECODE_FAILED',
      ],
      [
        'avro-incompatible',
        topics.avro,
        confluentFrame(avroOtherId, avroOther.toBuffer({ ...base, amount: '12.5', items })),
        'FAIL',
        'COMPATIBILITY:BACKWARD_INCOMPATIBLE',
      ],
      ['json-pass', topics.json, confluentFrame(jsonId, json({ ...base, items })), 'PASS', null],
      [
        'json-schema',
        topics.json,
        confluentFrame(jsonId, json({ ...base, order_id: undefined, items })),
        'FAIL',
        'SCHEMA:MISSING_FIELD:order_id',
      ],
      [
        'json-unknown-id',
        topics.json,
        confluentFrame(2_000_000_000, json({ ...base, items })),
        'FAIL',
        'SCHEMA:SCHEMA_NOT_FOUND',
      ],
      [
        'proto-pass',
        topics.proto,
        confluentFrame(protoId, protoBytes({ ...base, customer: { email: 'ada@example.com' }, items }), [1]),
        'PASS',
        null,
      ],
      [
        'proto-contract',
        topics.proto,
        confluentFrame(protoId, protoBytes({ ...base, order_id: 'x-1', items }), [1]),
        'FAIL',
        'CONTRACT:PATTERN_MISMATCH:order_id',
      ],
      [
        'proto-pii',
        topics.proto,
        confluentFrame(protoId, protoBytes({ ...base, customer_id: 'grace@example.com', items }), [1]),
        'FAIL',
        'PII:UNDECLARED_PII',
      ],
      [
        'proto-bad-index',
        topics.proto,
        confluentFrame(protoId, protoBytes({ ...base, items }), [9]),
        'FAIL',
        'ENVELOPE:PROTOBUF_MESSAGE_INDEX_INVALID',
      ],
    ];
    for (const topic of Object.values(topics)) {
      await produceAll(
        brokers,
        topic,
        cases.filter((c) => c[1] === topic).map(([key, , value]) => ({ key: Buffer.from(key), value })),
      );
    }
    await startEnforcer(t, {
      SF_ENFORCER_TOPICS: Object.values(topics).join(','),
      SF_ENFORCER_GROUP_ID: unique('it-csr'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_POLICY_REFRESH_MS: '500',
    });
    const ev = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(1),
      until: (e) => e.length >= cases.length,
      timeoutMs: 90_000,
    });
    assert.ok(ev.done, `evidence for ${cases.length} records (saw ${ev.events.length})`);
    const byKey = new Map((ev.events as EvidenceEvent[]).map((e) => [e.source.key, e]));
    for (const [key, , , result, expected] of cases) {
      const e = byKey.get(key);
      assert.ok(e, `evidence for ${key}`);
      const got = JSON.stringify(e.validation);
      assert.equal(e.validation.result, result, `${key}: ${got}`);
      if (expected !== null) {
        const [gate, ...code] = expected.split(':');
        assert.ok(e.validation.failed_gates.includes(gate as never), `${key}: ${gate} in ${got}`);
        const codes = (e.validation.gate_reasons as Record<string, string[]>)[gate] ?? e.validation.reason_codes;
        assert.ok(
          codes.some((c) => c === code.join(':') || c.startsWith(`${code.join(':')}:`)),
          `${key}: ${code.join(':')} in ${got}`,
        );
      }
    }
    assert.equal(byKey.get('avro-pass')?.schema?.schema_id, `csr:${p}-orders-avro:1`);
    t.diagnostic(`${cases.length} Confluent-framed records judged as expected (Avro, JSON Schema, Protobuf)`);
  });

  it('registry outage: cached ids keep validating, uncached ones are SCHEMA_REGISTRY_UNAVAILABLE, recovery needs no restart', async (t) => {
    const { brokers } = stackEnv();
    const p = unique('it-csr-out').replace(/\./g, '-');
    const v1 = await register(`${p}-orders-json`, 'JSON', JSON.stringify(ORDER_JSON));
    // v2 drops an optional property: BACKWARD compatible, so Apicurio's global rule accepts it.
    const { amount: _dropped, ...withoutAmount } = ORDER_JSON.properties;
    const v2 = await register(`${p}-orders-json`, 'JSON', JSON.stringify({ ...ORDER_JSON, properties: withoutAmount }));
    const raw = unique('it.raw.csr-out');
    const evidenceTopic = unique('it.evidence.csr-out');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 1 },
      { topic: evidenceTopic, numPartitions: 1 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY', schema_id: `csr:${p}-orders-json:1` });
    const registry = new URL(registryUrl());
    const proxy = await tcpProxy(t, Number(registry.port));
    await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-csr-out'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_SCHEMA_REGISTRY_URL: `${proxy.url}${registry.pathname}`,
      SF_SCHEMA_CACHE_TTL_MS: '1000',
      SF_SCHEMA_RETRY_MS: '1000',
    });
    const framed = (id: number, n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: Buffer.from(`k-${from + i}`),
        value: confluentFrame(id, Buffer.from(JSON.stringify({ ...base, order_id: `o-${from + i}`, items }))),
      }));
    const readNew = async (from: Awaited<ReturnType<typeof endOffsets>>, n: number) => {
      const r = await readEvidence({
        brokers,
        topic: evidenceTopic,
        from,
        until: (e) => e.length >= n,
        timeoutMs: 90_000,
      });
      assert.ok(r.done, `expected ${n} evidence events, saw ${r.events.length}`);
      return r.events as EvidenceEvent[];
    };
    const codes = (events: EvidenceEvent[]) => [...new Set(events.flatMap((e) => e.validation.reason_codes))];

    let mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, framed(v1, 20, 0));
    const warm = await readNew(mark, 20);
    assert.ok(
      warm.every((e) => e.validation.result === 'PASS'),
      `warm-up passes: ${codes(warm)}`,
    );

    await proxy.cut();
    await new Promise((r) => setTimeout(r, 1500)); // past the cache TTL: last-known-good now
    mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, [...framed(v1, 20, 100), ...framed(v2, 20, 200)]);
    const during = await readNew(mark, 40);
    const cached = during.filter((e) => Number((e.source.key ?? '').slice(2)) < 200);
    const uncached = during.filter((e) => Number((e.source.key ?? '').slice(2)) >= 200);
    assert.equal(cached.length, 20);
    assert.ok(
      cached.every((e) => e.validation.result === 'PASS'),
      `cached id keeps validating: ${codes(cached)}`,
    );
    assert.ok(
      uncached.every((e) => e.validation.reason_codes.includes('SCHEMA_REGISTRY_UNAVAILABLE')),
      `uncached id: ${codes(uncached)}`,
    );

    await proxy.restore();
    await new Promise((r) => setTimeout(r, 1500)); // past the retry interval
    mark = await endOffsets(brokers, evidenceTopic);
    await produceAll(brokers, raw, framed(v2, 20, 300));
    const after = await readNew(mark, 20);
    assert.ok(
      after.every((e) => e.validation.result === 'PASS'),
      `recovered without restart: ${codes(after)}`,
    );
    t.diagnostic(
      `registry cut: ${cached.length} cached-id records PASS, ${uncached.length} uncached -> SCHEMA_REGISTRY_UNAVAILABLE; after restore 20/20 PASS`,
    );
  });

  it('control plane: csr: schema ids are checked against the registry (422 unknown, 503 unreachable)', async (t) => {
    const p = unique('it-csr-cp').replace(/\./g, '-');
    const id = await register(`${p}-orders-json`, 'JSON', JSON.stringify(ORDER_JSON));
    const raw = unique('it.raw.csr-cp');
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { schema_id: `csr:${p}-orders-json:1` });
    await ordersDataset(cp, `${raw}.2`, { schema_id: `csr:id:${id}` });
    for (const missing of [`csr:${p}-orders-json:2`, `csr:${p}-nope:1`, 'csr:id:2000000000']) {
      const res = await api(
        cp.url,
        cp.admin,
        'PUT',
        `/v1/datasets/urn:dp:orders:${p}-x/policy`,
        policyWith(`urn:dp:orders:${p}-x`, missing),
      );
      assert.equal(res.status, 422, `${missing}: ${JSON.stringify(res.body)}`);
      assert.equal((res.body as { error?: { code?: string } }).error?.code, 'UNKNOWN_SCHEMA');
    }
    // A registry that does not answer: the policy is refused with a clear 503, nothing is stored.
    const closed = await freePort();
    const down = await startControlPlane(t, { SF_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${closed}/apis/ccompat/v7` });
    const res = await api(
      down.url,
      down.admin,
      'PUT',
      `/v1/datasets/urn:dp:orders:${p}-y/policy`,
      policyWith(`urn:dp:orders:${p}-y`, `csr:id:${id}`),
    );
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal((res.body as { error?: { code?: string } }).error?.code, 'SCHEMA_REGISTRY_UNAVAILABLE');
    const stored = await api(down.url, down.admin, 'GET', `/v1/datasets/urn:dp:orders:${p}-y/policy`);
    assert.equal(stored.status, 404);
  });
});

function policyWith(urn: string, schemaId: string): Record<string, unknown> {
  return {
    dataset_urn: urn,
    schema_id: schemaId,
    enforcement_mode: 'ALERT_ONLY',
    pii_policy: 'DETECT',
    owners: ['orders-team'],
    tier: 'TIER_2',
    freshness_slo_sec: 120,
    volume_rpm_expected: 10,
  };
}
