/** Shared fixtures for the gate tests: the section 12 orders dataset, records, Glue wire format. */
import { createHmac } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { DataContract } from '../../../src/models/contract.js';
import type { DatasetPolicy } from '../../../src/models/policy.js';
import type { RawRecord } from '../../../src/workers/gates/types.js';
import {
  type CompiledSnapshot,
  compileSnapshot,
  evaluateRecord,
  type RecordOutcome,
} from '../../../src/workers/pipeline.js';
import type { PolicySnapshot, RegistrySchema } from '../../../src/workers/protocol.js';

export const URN = 'urn:dp:orders:created';
export const TOPIC = 'raw.orders.events';
export const V1 = '11111111-1111-4111-8111-111111111111';
export const V2 = '22222222-2222-4222-8222-222222222222';
export const KEY_HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

export const ORDER_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['order_id', 'event_type', 'created_at'],
  properties: {
    order_id: { type: 'string' },
    event_type: { type: 'string' },
    customer_id: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    amount: { type: 'number' },
    currency: { type: 'string' },
    customer: { $ref: '#/definitions/customer' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku', 'qty'],
        properties: { sku: { type: 'string' }, qty: { type: 'integer' }, price: { type: 'number' } },
      },
    },
  },
  definitions: {
    customer: {
      type: 'object',
      properties: {
        email: { type: 'string' },
        phone: { type: 'string' },
        address: {
          type: 'object',
          properties: { line1: { type: 'string' }, city: { type: 'string' }, zip: { type: 'string' } },
        },
      },
    },
  },
};

export function schema(over: Partial<RegistrySchema> & { definition: string }): RegistrySchema {
  return {
    schema_id: 'glue:orders.created:1',
    version_id: V1,
    schema_name: 'orders.created',
    version_number: 1,
    data_format: 'JSON',
    compatibility: 'BACKWARD',
    ...over,
  };
}

export const CONTRACT: DataContract = {
  contract_id: 'dc:orders.created:3',
  fields: [
    { path: 'order_id', required: true, type: 'string', pattern: 'o-[0-9]+' },
    { path: 'customer_id', required: true, type: 'string', min_length: 1 },
    { path: 'amount', type: 'number', minimum: 0, maximum: 1_000_000 },
    { path: 'currency', type: 'string', enum: ['USD', 'EUR', 'GBP'] },
    { path: 'created_at', required: true, type: 'string', format: 'date-time' },
    { path: 'customer.email', type: 'string', pii: ['EMAIL'] },
    { path: 'customer.phone', type: 'string', pii: ['PHONE'] },
    { path: 'items[].sku', required: true, type: 'string', max_length: 32 },
    { path: 'items[].qty', type: 'integer', minimum: 1 },
  ],
  created_at: '2026-01-01T00:00:00.000Z',
  created_by: 'test',
};

export function policy(over: Partial<DatasetPolicy> = {}): DatasetPolicy {
  return {
    dataset_urn: URN,
    schema_id: 'glue:orders.created:1',
    contract_id: 'dc:orders.created:3',
    enforcement_mode: 'QUARANTINE_ON_FAIL',
    pii_policy: 'BLOCK',
    owners: ['orders-team'],
    tier: 'TIER_1',
    freshness_slo_sec: 120,
    volume_rpm_expected: 1000,
    producer_identity: {
      owner_producer_id: 'orders-svc',
      trusted_principal_header: 'x-sf-principal',
      claim_header: 'producer-id',
    },
    version: 3,
    updated_at: '2026-01-01T00:00:00.000Z',
    updated_by: 'test',
    ...over,
  };
}

export function snapshot(over: Partial<PolicySnapshot> = {}): PolicySnapshot {
  return {
    version: 1,
    policies: [policy()],
    resolution: [{ source_type: 'TOPIC', source_value: TOPIC, dataset_urn: URN, resolution_confidence: 'HIGH' }],
    contracts: [CONTRACT],
    schemas: [schema({ definition: JSON.stringify(ORDER_SCHEMA) })],
    unavailable_schemas: [],
    ops: { global: { safe_mode: false }, datasets: {} },
    identity_keys: { k1: KEY_HEX },
    ...over,
  };
}

/** A ~1 KB order event (nested customer, items, addresses) that passes every gate of the fixture. */
export function order(items = 3): Record<string, unknown> {
  return {
    order_id: 'o-784233',
    event_type: 'orders.created',
    customer_id: 'c-1001',
    created_at: '2026-01-13T12:01:01.900Z',
    amount: 42.5,
    currency: 'USD',
    customer: {
      email: 'ada@example.com',
      phone: '+44 20 7946 0958',
      address: { line1: '1 Rue de la Republique', city: 'Lyon', zip: '69001' },
    },
    shipping: { line1: '221B Baker Street', city: 'London', zip: 'NW1 6XE', country: 'GB', notes: 'Leave at the door' },
    items: Array.from({ length: items }, (_, i) => ({
      sku: `sku-${1000 + i}`,
      qty: i + 1,
      price: 10.25 * (i + 1),
      title: `Product number ${i} with a reasonably descriptive title`,
      category: 'home-and-garden',
    })),
    channel: 'web',
    tags: ['gift', 'express', 'loyalty-tier-2'],
    correlation_id: 'f3b5c1de-7a2b-4c8e-9d0f-1a2b3c4d5e6f',
  };
}

export function rec(value: Uint8Array | string | object | null, over: Partial<RawRecord> = {}): RawRecord {
  const v =
    value === null
      ? null
      : typeof value === 'string'
        ? Buffer.from(value)
        : value instanceof Uint8Array
          ? value
          : Buffer.from(JSON.stringify(value));
  return {
    topic: TOPIC,
    partition: 0,
    offset: 1,
    timestamp: Date.UTC(2026, 0, 13, 12, 1, 1, 900),
    key: Buffer.from('o-784233'),
    value: v,
    headerNames: [],
    headerValues: [],
    otel: null,
    ...over,
  };
}

export function headers(h: Record<string, string>): Pick<RawRecord, 'headerNames' | 'headerValues'> {
  return { headerNames: Object.keys(h), headerValues: Object.values(h).map((v) => Buffer.from(v)) };
}

export function signedPrincipal(principal: string, keyId = 'k1', keyHex = KEY_HEX): string {
  return `${principal}.${keyId}.${createHmac('sha256', Buffer.from(keyHex, 'hex')).update(principal).digest('hex')}`;
}

/** The Glue SerDe wire format: 3, compression, 16-byte version UUID, payload. */
export function glue(versionId: string, payload: Uint8Array, compression: 0 | 5 = 0): Buffer {
  const body = compression === 5 ? deflateSync(payload) : payload;
  return Buffer.concat([Buffer.from([3, compression]), Buffer.from(versionId.replace(/-/g, ''), 'hex'), body]);
}

export function run(
  snap: CompiledSnapshot | PolicySnapshot,
  r: RawRecord,
): RecordOutcome & { event: Record<string, any> } {
  const c = 'datasets' in snap ? snap : compileSnapshot(snap);
  const out = evaluateRecord(c, r, '"2026-01-13T12:01:02.120Z"');
  return { ...out, event: JSON.parse(out.evidence) };
}
