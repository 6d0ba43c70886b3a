/**
 * Confluent framing (magic 0 + 4-byte schema id [+ Protobuf message indexes]) through the whole
 * gate pipeline: Avro (with a reference), JSON Schema and Protobuf (with an import and a
 * well-known type) decode against the writer the id names; broken frames get clear ENVELOPE
 * codes and never throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confluentFrame } from '../../../src/dev/confluent-frame.js';
import { readWireHeader } from '../../../src/workers/gates/envelope.js';
import { compileSnapshot } from '../../../src/workers/pipeline.js';
import { compileProtobuf, protobufIncompatibilities, readMessageIndexes } from '../../../src/workers/protobuf.js';
import {
  AVRO_ID,
  avroOrderType,
  csrSnapshot,
  JSON_ID,
  ORDER_PROTO,
  PROTO_ID,
  PROTO_REFS,
  plainOrder,
  protoBytes,
} from './confluent-fixtures.js';
import { rec, run, TOPIC, URN } from './fixtures.js';

const avroSnap = compileSnapshot(csrSnapshot('csr:orders-avro-value:1'));
const jsonSnap = compileSnapshot(csrSnapshot('csr:orders-json-value:1'));
const protoSnap = compileSnapshot(csrSnapshot('csr:orders-proto-value:1'));

const codes = (e: Record<string, any>) => e.validation.reason_codes as string[];

test('Confluent framing: the header names the global id as csr:id:<n>; JSON text never looks framed', () => {
  const h = readWireHeader(confluentFrame(0x01020304, Buffer.from('x')));
  assert.ok(h !== null && typeof h === 'object');
  assert.equal(h.versionId, `csr:id:${0x01020304}`);
  assert.equal(h.confluent, true);
  assert.equal(
    (readWireHeader(confluentFrame(0xffffffff, Buffer.from('x'))) as { versionId: string }).versionId,
    'csr:id:4294967295',
  );
  assert.equal(readWireHeader(Buffer.from('{"a":1}')), null);
});

test('Confluent Avro (named type from a reference): PASS, schema fingerprint and id in the evidence', () => {
  const { event } = run(avroSnap, rec(confluentFrame(AVRO_ID, avroOrderType.toBuffer(plainOrder()))));
  assert.equal(event.validation.result, 'PASS', JSON.stringify(event.validation));
  assert.equal(event.schema.schema_id, 'csr:orders-avro-value:1');
  assert.match(event.fingerprints.schema_fingerprint, /^sha256:[0-9a-f]{64}$/);
});

test('Confluent Avro: CONTRACT runs on the decoded record; a truncated payload is AVRO_DECODE_FAILED', () => {
  const missing = run(
    avroSnap,
    rec(confluentFrame(AVRO_ID, avroOrderType.toBuffer(plainOrder({ customer_id: null })))),
  );
  assert.deepEqual(missing.event.validation.failed_gates, ['CONTRACT']);
  assert.ok(
    codes(missing.event).some((c) => c.endsWith(':customer_id')),
    JSON.stringify(codes(missing.event)),
  );
  const cut = run(avroSnap, rec(confluentFrame(AVRO_ID, avroOrderType.toBuffer(plainOrder()).subarray(0, 7))));
  assert.deepEqual(codes(cut.event), ['AVRO_DECODE_FAILED']);
});

test('Confluent JSON Schema: PASS; a missing required field is MISSING_FIELD in SCHEMA', () => {
  const ok = run(jsonSnap, rec(confluentFrame(JSON_ID, Buffer.from(JSON.stringify(plainOrder())))));
  assert.equal(ok.event.validation.result, 'PASS', JSON.stringify(ok.event.validation));
  const { event_type, ...rest } = plainOrder();
  const bad = run(jsonSnap, rec(confluentFrame(JSON_ID, Buffer.from(JSON.stringify(rest)))));
  assert.ok(bad.event.validation.failed_gates.includes('SCHEMA'));
  assert.ok(codes(bad.event).includes('MISSING_FIELD:event_type'), JSON.stringify(codes(bad.event)));
});

test('Confluent Protobuf: message index [1] selects Order; CONTRACT and PII see .proto field paths', () => {
  const value = plainOrder({ customer: { email: 'ada@example.com' } });
  const ok = run(protoSnap, rec(confluentFrame(PROTO_ID, protoBytes(value), [1])));
  assert.equal(ok.event.validation.result, 'PASS', JSON.stringify(ok.event.validation));
  const bad = run(
    protoSnap,
    rec(confluentFrame(PROTO_ID, protoBytes(plainOrder({ order_id: 'x-1', items: [{ sku: 's', qty: 0 }] })), [1])),
  );
  assert.deepEqual(bad.event.validation.failed_gates, ['CONTRACT']);
  assert.ok(codes(bad.event).includes('PATTERN_MISMATCH:order_id'), JSON.stringify(codes(bad.event)));
  assert.ok(codes(bad.event).includes('OUT_OF_RANGE:items[0].qty'), JSON.stringify(codes(bad.event)));
  // An undeclared e-mail in a field the contract does not declare: PII BLOCK on the decoded message.
  const pii = run(
    protoSnap,
    rec(confluentFrame(PROTO_ID, protoBytes(plainOrder({ currency: 'grace@example.com' })), [1])),
  );
  assert.ok(pii.event.validation.failed_gates.includes('PII'), JSON.stringify(pii.event.validation));
});

test('Confluent Protobuf: bad message indexes and bad bytes are clear ENVELOPE codes, not crashes', () => {
  const body = protoBytes(plainOrder());
  const cases: Array<[string, Buffer, string]> = [
    ['index past the last message', confluentFrame(PROTO_ID, body, [7]), 'PROTOBUF_MESSAGE_INDEX_INVALID'],
    ['nested index past the nested messages', confluentFrame(PROTO_ID, body, [1, 4]), 'PROTOBUF_MESSAGE_INDEX_INVALID'],
    [
      'truncated varint',
      Buffer.concat([confluentFrame(PROTO_ID, Buffer.alloc(0)), Buffer.from([0x82])]),
      'PROTOBUF_MESSAGE_INDEX_INVALID',
    ],
    [
      'count over the bound',
      Buffer.concat([confluentFrame(PROTO_ID, Buffer.alloc(0)), Buffer.from([0x7e])]),
      'PROTOBUF_MESSAGE_INDEX_INVALID',
    ],
    [
      'negative count',
      Buffer.concat([confluentFrame(PROTO_ID, Buffer.alloc(0)), Buffer.from([0x01, 0x02])]),
      'PROTOBUF_MESSAGE_INDEX_INVALID',
    ],
    [
      'garbage message bytes',
      confluentFrame(PROTO_ID, Buffer.from([0x0a, 0xff, 0xff, 0xff]), [1]),
      'PROTOBUF_DECODE_FAILED',
    ],
  ];
  for (const [name, value, code] of cases) {
    const { event } = run(protoSnap, rec(value));
    assert.deepEqual(event.validation.failed_gates, ['ENVELOPE'], name);
    assert.deepEqual(codes(event), [code], name);
  }
});

test('Confluent framing: bad magic and short frames fail ENVELOPE; an unknown id fails SCHEMA', () => {
  assert.deepEqual(codes(run(avroSnap, rec(Buffer.from([1, 0, 0, 0, 11, 2]))).event), ['UNKNOWN_WIRE_FORMAT']);
  for (let n = 1; n < 5; n++) {
    const { event } = run(avroSnap, rec(Buffer.alloc(n)));
    assert.deepEqual(codes(event), ['TRUNCATED_FRAME'], `${n} bytes`);
  }
  const unknown = run(jsonSnap, rec(confluentFrame(999, Buffer.from(JSON.stringify(plainOrder())))));
  assert.ok(codes(unknown.event).includes('SCHEMA_NOT_FOUND'), JSON.stringify(codes(unknown.event)));
  const down = run(
    compileSnapshot(csrSnapshot('csr:orders-json-value:1', { unavailable_schemas: ['csr:id:999'] })),
    rec(confluentFrame(999, Buffer.from(JSON.stringify(plainOrder())))),
  );
  assert.ok(codes(down.event).includes('SCHEMA_REGISTRY_UNAVAILABLE'), JSON.stringify(codes(down.event)));
});

test('Confluent framing: random bytes after magic 0 never throw', () => {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed & 0xff;
  };
  for (let i = 0; i < 2000; i++) {
    const len = 5 + (rnd() % 40);
    const b = Buffer.from(Array.from({ length: len }, rnd));
    b[0] = 0;
    b.writeUInt32BE([AVRO_ID, JSON_ID, PROTO_ID, 5][i % 4], 1);
    for (const snap of [avroSnap, protoSnap]) {
      const { event } = run(snap, rec(b));
      assert.ok(event.validation.result === 'PASS' || event.validation.result === 'FAIL');
    }
  }
});

test('RESOLUTION: a SCHEMA_ID rule matches a Confluent global id', () => {
  const snap = compileSnapshot(
    csrSnapshot('csr:orders-json-value:1', {
      resolution: [
        {
          source_type: 'SCHEMA_ID',
          source_value: `csr:id:${JSON_ID}`,
          dataset_urn: URN,
          resolution_confidence: 'HIGH',
        },
      ],
    }),
  );
  const hit = run(snap, rec(confluentFrame(JSON_ID, Buffer.from(JSON.stringify(plainOrder()))), { topic: 'other' }));
  assert.equal(hit.event.dataset_urn, URN);
  assert.equal(hit.event.validation.result, 'PASS', JSON.stringify(hit.event.validation));
  const miss = run(snap, rec(Buffer.from(JSON.stringify(plainOrder())), { topic: TOPIC }));
  assert.deepEqual(codes(miss.event), ['UNRESOLVED_DATASET']);
});

test('Protobuf: message indexes parse as Confluent writes them', () => {
  assert.deepEqual(readMessageIndexes(Buffer.from([0, 9])), { indexes: [0], offset: 1 });
  assert.deepEqual(readMessageIndexes(Buffer.from([4, 2, 0, 9])), { indexes: [1, 0], offset: 3 });
  assert.equal(readMessageIndexes(Buffer.from([2])), null);
});

test('Protobuf: an import that is not supplied is a compile error; COMPATIBILITY compares wire types', () => {
  assert.throws(() => compileProtobuf(ORDER_PROTO, []), /acme\.Item|no such type/i);
  const v1 = compileProtobuf(ORDER_PROTO, PROTO_REFS);
  const added = compileProtobuf(
    ORDER_PROTO.replace('google.protobuf.Timestamp sent_at = 9;', 'string note = 10;'),
    PROTO_REFS,
  );
  assert.deepEqual(protobufIncompatibilities(added, v1), []);
  const changed = compileProtobuf(ORDER_PROTO.replace('double amount = 5;', 'string amount = 5;'), PROTO_REFS);
  assert.deepEqual(protobufIncompatibilities(changed, v1), ['amount']);
  const nested = compileProtobuf(ITEM_CHANGE, [{ name: 'acme/item.proto', definition: ITEM_PROTO_V2 }]);
  assert.deepEqual(protobufIncompatibilities(nested, v1), ['items.qty']);
});

const ITEM_PROTO_V2 = `syntax = "proto3";
package acme;
message Item { string sku = 1; string qty = 2; double price = 3; }
`;
const ITEM_CHANGE = ORDER_PROTO;

test('Confluent JSON Schema: a reference is $ref-ed by its name', () => {
  const customer = { type: 'object', required: ['email'], properties: { email: { type: 'string' } } };
  const order = {
    type: 'object',
    required: ['order_id'],
    properties: { order_id: { type: 'string' }, customer: { $ref: 'customer.json' } },
  };
  const snap = compileSnapshot(
    csrSnapshot('csr:orders-ref:1', {
      schemas: [
        {
          schema_id: 'csr:orders-ref:1',
          version_id: 'csr:id:21',
          schema_name: 'csr:orders-ref',
          version_number: 1,
          data_format: 'JSON',
          definition: JSON.stringify(order),
          references: [{ name: 'customer.json', definition: JSON.stringify(customer) }],
          compatibility: 'NONE',
        },
      ],
      policies: [{ ...csrSnapshot('x').policies[0], schema_id: 'csr:orders-ref:1', contract_id: undefined }],
      contracts: [],
    }),
  );
  const frame = (o: object) => confluentFrame(21, Buffer.from(JSON.stringify(o)));
  const ok = run(snap, rec(frame({ order_id: 'o-1', customer: { email: 'a@b.c' } })));
  assert.deepEqual(ok.event.validation.failed_gates, [], JSON.stringify(ok.event.validation));
  const bad = run(snap, rec(frame({ order_id: 'o-1', customer: {} })));
  assert.ok(codes(bad.event).includes('MISSING_FIELD:customer.email'), JSON.stringify(codes(bad.event)));
});
