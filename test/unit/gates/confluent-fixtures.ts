/** Confluent-registry schemas (Avro with a reference, JSON Schema, Protobuf with an import) for the gate tests. */
import avro from 'avsc';
import type protobuf from 'protobufjs';
import { compileProtobuf } from '../../../src/workers/protobuf.js';
import type { PolicySnapshot, RegistrySchema } from '../../../src/workers/protocol.js';
import { ORDER_SCHEMA, policy, snapshot, TOPIC, URN } from './fixtures.js';

export const ITEM_AVSC = {
  type: 'record',
  name: 'Item',
  namespace: 'acme',
  fields: [
    { name: 'sku', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: 'double' },
  ],
};
export const ORDER_AVSC = {
  type: 'record',
  name: 'Order',
  namespace: 'acme',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'event_type', type: 'string' },
    { name: 'customer_id', type: ['null', 'string'], default: null },
    { name: 'created_at', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'currency', type: 'string' },
    { name: 'items', type: { type: 'array', items: 'acme.Item' } },
  ],
};

export const ITEM_PROTO = `syntax = "proto3";
package acme;
message Item { string sku = 1; int32 qty = 2; double price = 3; }
`;
export const ORDER_PROTO = `syntax = "proto3";
package acme.orders;
import "acme/item.proto";
import "google/protobuf/timestamp.proto";
message Envelope { string note = 1; }
message Order {
  string order_id = 1;
  string event_type = 2;
  string customer_id = 3;
  string created_at = 4;
  double amount = 5;
  string currency = 6;
  message Customer { string email = 1; string phone = 2; }
  Customer customer = 7;
  repeated acme.Item items = 8;
  google.protobuf.Timestamp sent_at = 9;
}
`;
export const PROTO_REFS = [{ name: 'acme/item.proto', definition: ITEM_PROTO }];

export const AVRO_ID = 11;
export const JSON_ID = 12;
export const PROTO_ID = 13;

function csr(
  subject: string,
  id: number,
  format: RegistrySchema['data_format'],
  definition: string,
  refs?: RegistrySchema['references'],
): RegistrySchema {
  return {
    schema_id: `csr:${subject}:1`,
    version_id: `csr:id:${id}`,
    schema_name: `csr:${subject}`,
    version_number: 1,
    data_format: format,
    definition,
    references: refs,
    compatibility: 'BACKWARD',
  };
}

export const CSR_SCHEMAS: RegistrySchema[] = [
  csr('orders-avro-value', AVRO_ID, 'AVRO', JSON.stringify(ORDER_AVSC), [
    { name: 'acme.Item', definition: JSON.stringify(ITEM_AVSC) },
  ]),
  csr('orders-json-value', JSON_ID, 'JSON', JSON.stringify(ORDER_SCHEMA)),
  csr('orders-proto-value', PROTO_ID, 'PROTOBUF', ORDER_PROTO, PROTO_REFS),
];

/** The orders dataset with `schemaId` as its registered schema; records on TOPIC. */
export function csrSnapshot(schemaId: string, over: Partial<PolicySnapshot> = {}): PolicySnapshot {
  return snapshot({
    policies: [policy({ schema_id: schemaId })],
    resolution: [{ source_type: 'TOPIC', source_value: TOPIC, dataset_urn: URN, resolution_confidence: 'HIGH' }],
    schemas: CSR_SCHEMAS,
    ...over,
  });
}

const avroRegistry = {};
avro.Type.forSchema(ITEM_AVSC as never, { registry: avroRegistry });
export const avroOrderType = avro.Type.forSchema(ORDER_AVSC as never, { registry: avroRegistry });

export const protoOrder: protobuf.Type = compileProtobuf(ORDER_PROTO, PROTO_REFS).messages[1];

/** The fixture order's fields each format carries. */
export function plainOrder(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    order_id: 'o-784233',
    event_type: 'orders.created',
    customer_id: 'c-1001',
    created_at: '2026-01-13T12:01:01.900Z',
    amount: 42.5,
    currency: 'USD',
    items: [{ sku: 'sku-1', qty: 2, price: 21.25 }],
    ...over,
  };
}

export const protoBytes = (o: Record<string, unknown>): Uint8Array =>
  protoOrder.encode(protoOrder.fromObject(o)).finish();
