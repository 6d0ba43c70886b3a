import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import {
  DEFAULT_LIMITS,
  decodeJson,
  jsonDepthExceeds,
  jsonTextDepthExceeds,
} from '../../../src/workers/gates/envelope.js';
import { glue, order, rec, run, schema, snapshot, V1, V2 } from './fixtures.js';

const AVRO_DEF = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'customer_id', type: 'string' },
    { name: 'created_at', type: 'string' },
  ],
};
const avroType = avro.Type.forSchema(AVRO_DEF as never);
const snap = snapshot({
  policies: [
    {
      ...snapshot().policies[0],
      contract_id: undefined,
    },
  ],
  schemas: [
    snapshot().schemas[0],
    schema({
      schema_id: 'glue:orders.avro:1',
      version_id: V2,
      schema_name: 'orders.avro',
      data_format: 'AVRO',
      definition: JSON.stringify(AVRO_DEF),
      compatibility: 'NONE',
    }),
    schema({
      schema_id: 'glue:orders.proto:1',
      version_id: '33333333-3333-4333-8333-333333333333',
      schema_name: 'orders.proto',
      data_format: 'PROTOBUF',
      definition: 'syntax = "proto3"; message Order { string order_id = 1; }',
      compatibility: 'NONE',
    }),
  ],
  limits: { max_payload_bytes: 64 * 1024, max_depth: 32 },
});
const json = Buffer.from(JSON.stringify(order()));
const avroOrder = avroType.toBuffer({ order_id: 'o-1', customer_id: 'c-1', created_at: '2026-01-13T12:01:01.900Z' });

const cases: Array<{ name: string; value: Uint8Array | null; code: string | null }> = [
  { name: 'plain JSON', value: json, code: null },
  { name: 'Glue JSON, no compression', value: glue(V1, json), code: null },
  { name: 'Glue JSON, zlib', value: glue(V1, json, 5), code: null },
  { name: 'Glue Avro binary', value: glue(V2, avroOrder), code: null },
  { name: 'Glue Avro binary, zlib', value: glue(V2, avroOrder, 5), code: null },
  { name: 'tombstone', value: null, code: 'TOMBSTONE' },
  { name: 'empty value', value: Buffer.alloc(0), code: 'EMPTY_PAYLOAD' },
  { name: 'Glue header with empty payload', value: glue(V1, Buffer.alloc(0)), code: 'EMPTY_PAYLOAD' },
  {
    name: 'over the byte cap',
    value: Buffer.from(JSON.stringify({ s: 'x'.repeat(70_000) })),
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'zlib bomb over the cap',
    value: glue(V1, Buffer.from(JSON.stringify({ s: ' '.repeat(200_000) })), 5),
    code: 'PAYLOAD_TOO_LARGE',
  },
  { name: 'a binary marker other than 0 or 3', value: Buffer.from([1, 0, 0, 0, 1, 2, 3]), code: 'UNKNOWN_WIRE_FORMAT' },
  { name: 'truncated Confluent frame', value: Buffer.from([0, 0, 0, 1]), code: 'TRUNCATED_FRAME' },
  { name: 'truncated Glue header', value: Buffer.from([3, 0, 1, 2]), code: 'TRUNCATED_FRAME' },
  { name: 'unknown compression byte', value: glue(V1, json).fill(9, 1, 2), code: 'UNSUPPORTED_COMPRESSION' },
  {
    name: 'corrupt zlib',
    value: Buffer.concat([glue(V1, Buffer.alloc(0)).fill(5, 1, 2), Buffer.from('not zlib at all')]),
    code: 'DECOMPRESSION_FAILED',
  },
  {
    name: 'invalid UTF-8',
    value: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    code: 'INVALID_UTF8',
  },
  {
    name: 'nesting deeper than the limit',
    value: Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`),
    code: 'NESTING_TOO_DEEP',
  },
  { name: 'not JSON', value: Buffer.from('order_id=o-1,customer_id=c-1'), code: 'INVALID_JSON' },
  { name: 'truncated Avro', value: glue(V2, avroOrder.subarray(0, 5)), code: 'AVRO_DECODE_FAILED' },
  {
    name: 'Glue Protobuf binary (first message)',
    value: glue('33333333-3333-4333-8333-333333333333', Buffer.from([10, 3, 0x6f, 0x2d, 0x31])),
    code: null,
  },
  {
    name: 'Glue Protobuf, bad bytes',
    value: glue('33333333-3333-4333-8333-333333333333', Buffer.from([10, 9, 1])),
    code: 'PROTOBUF_DECODE_FAILED',
  },
];

for (const c of cases) {
  test(`ENVELOPE: ${c.name}`, () => {
    const { event } = run(snap, rec(c.value));
    const failed = event.validation.failed_gates.includes('ENVELOPE');
    assert.equal(failed, c.code !== null, JSON.stringify(event.validation));
    if (c.code) {
      assert.ok(event.validation.reason_codes.includes(c.code), JSON.stringify(event.validation));
      // A payload that does not decode stops SCHEMA, CONTRACT and PII.
      for (const g of ['SCHEMA', 'CONTRACT', 'PII']) assert.ok(!event.validation.failed_gates.includes(g));
    }
  });
}

test('ENVELOPE: depth pre-scan ignores brackets inside strings and escaped quotes', () => {
  assert.equal(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: `${'['.repeat(500)}\\"{{{` })), 10), false);
  assert.equal(jsonDepthExceeds(Buffer.from(`{"a":${'['.repeat(11)}${']'.repeat(11)}}`), 10), true);
});

test('ENVELOPE: the depth check on the text agrees with the byte scan (strings, escapes, bracket counts)', () => {
  const cases = [
    JSON.stringify({ s: `${'['.repeat(500)}\\"{{{` }),
    `{"a":${'['.repeat(11)}${']'.repeat(11)}}`,
    `{"a":${'['.repeat(10)}${']'.repeat(10)}}`,
    `{"s":"${'{'.repeat(40)}","a":[[[[[[[[[[[1]]]]]]]]]]]}`,
    `{"s":"\\\\","a":[[[[[[[[[[[1]]]]]]]]]]]}`,
    `{"é":"€ü","a":${'['.repeat(11)}${']'.repeat(11)}}`,
    `${'[{'.repeat(6)}${'}]'.repeat(6)}`,
    '"'.concat('['.repeat(100), '"'),
  ];
  for (const t of cases) assert.equal(jsonTextDepthExceeds(t, 10), jsonDepthExceeds(Buffer.from(t), 10), t);
});

test('ENVELOPE: UTF-8 decoding rejects what isUtf8 rejects and keeps a BOM (which fails the parse)', () => {
  const bad = [
    [0xed, 0xa0, 0x80], // UTF-16 surrogate
    [0xc0, 0x80], // overlong
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xe2, 0x82], // truncated
  ];
  for (const b of bad) {
    const bytes = Buffer.from([0x22, ...b, 0x22]);
    assert.equal(decodeJson(bytes, DEFAULT_LIMITS).code, 'INVALID_UTF8', bytes.toString('hex'));
  }
  assert.equal(decodeJson(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), DEFAULT_LIMITS).code, 'INVALID_JSON');
  assert.deepEqual(decodeJson(Buffer.from('{"a":"€😀"}'), DEFAULT_LIMITS).value, { a: '€😀' });
});

test('ENVELOPE: tombstone evidence has a null payload hash', () => {
  const { event } = run(snap, rec(null));
  assert.equal(event.fingerprints.payload_hash, null);
});
