/**
 * Micro-benchmark of the wire formats in the worker: the same ~1 KB order event as plain JSON,
 * and Confluent-framed as JSON Schema, Avro and Protobuf, through a worker task (unpack, decode,
 * every gate, evidence, pack) on batches of 256 distinct records. The JSON figure is the
 * baseline; the goal is Avro and Protobuf within 1.5x of it.
 *   npx tsc -p tsconfig.json && node dist/perf/micro/wire-formats.bench.js   (SF_BENCH_MS per task [300])
 */
import avro from 'avsc';
import { Bench } from 'tinybench';
import { confluentFrame } from '../../src/dev/confluent-frame.js';
import { encodeSnapshot, type PackInput, packBatch } from '../../src/workers/pack.js';
import { compileProtobuf } from '../../src/workers/protobuf.js';
import type { RegistrySchema } from '../../src/workers/protocol.js';
import task, { evaluateBatch } from '../../src/workers/task.js';
import { ORDER_SCHEMA, order, policy, rec, signedPrincipal, snapshot } from '../../test/unit/gates/fixtures.js';
import { distinctOrders } from './distinct-orders.js';

const time = Number(process.env.SF_BENCH_MS ?? 300);

const ADDRESS = {
  type: 'record',
  name: 'Address',
  fields: ['line1', 'city', 'zip'].map((name) => ({ name, type: 'string' })),
};
const SHIPPING = {
  type: 'record',
  name: 'Shipping',
  fields: ['line1', 'city', 'zip', 'country', 'notes'].map((name) => ({ name, type: 'string' })),
};
const ORDER_AVSC = {
  type: 'record',
  name: 'Order',
  namespace: 'acme',
  fields: [
    ...['order_id', 'event_type', 'customer_id', 'created_at'].map((name) => ({ name, type: 'string' })),
    { name: 'amount', type: 'double' },
    { name: 'currency', type: 'string' },
    {
      name: 'customer',
      type: {
        type: 'record',
        name: 'Customer',
        fields: [
          { name: 'email', type: 'string' },
          { name: 'phone', type: 'string' },
          { name: 'address', type: ADDRESS },
        ],
      },
    },
    { name: 'shipping', type: SHIPPING },
    {
      name: 'items',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Item',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'qty', type: 'int' },
            { name: 'price', type: 'double' },
            { name: 'title', type: 'string' },
            { name: 'category', type: 'string' },
          ],
        },
      },
    },
    { name: 'channel', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'correlation_id', type: 'string' },
  ],
};
const ORDER_PROTO = `syntax = "proto3";
package acme;
message Order {
  string order_id = 1; string event_type = 2; string customer_id = 3; string created_at = 4;
  double amount = 5; string currency = 6;
  message Address { string line1 = 1; string city = 2; string zip = 3; }
  message Customer { string email = 1; string phone = 2; Address address = 3; }
  Customer customer = 7;
  message Shipping { string line1 = 1; string city = 2; string zip = 3; string country = 4; string notes = 5; }
  Shipping shipping = 8;
  message Item { string sku = 1; int32 qty = 2; double price = 3; string title = 4; string category = 5; }
  repeated Item items = 9;
  string channel = 10; repeated string tags = 11; string correlation_id = 12;
}
`;

const csr = (id: number, data_format: RegistrySchema['data_format'], definition: string): RegistrySchema => ({
  schema_id: `csr:orders-${data_format.toLowerCase()}:1`,
  version_id: `csr:id:${id}`,
  schema_name: `csr:orders-${data_format.toLowerCase()}`,
  version_number: 1,
  data_format,
  definition,
  compatibility: 'BACKWARD',
});
const schemas = [
  csr(1, 'JSON', JSON.stringify(ORDER_SCHEMA)),
  csr(2, 'AVRO', JSON.stringify(ORDER_AVSC)),
  csr(3, 'PROTOBUF', ORDER_PROTO),
];
const avroType = avro.Type.forSchema(ORDER_AVSC as never);
const protoType = compileProtobuf(ORDER_PROTO, undefined).messages[0];

const value = order(3);
const like = rec(Buffer.alloc(0));
const principal = signedPrincipal('orders-svc');
const jsonRecords = distinctOrders(value, like, principal);
const reencode = (enc: (o: Record<string, unknown>) => Buffer): PackInput[] =>
  jsonRecords.map((r) => ({ ...r, value: enc(JSON.parse((r.value as Buffer).toString())) }));

interface Case {
  name: string;
  schemaId: string;
  records: PackInput[];
}
const cases: Case[] = [
  { name: 'plain JSON (JSON Schema)', schemaId: 'csr:orders-json:1', records: jsonRecords },
  {
    name: 'Confluent JSON Schema',
    schemaId: 'csr:orders-json:1',
    records: reencode((o) => confluentFrame(1, Buffer.from(JSON.stringify(o)))),
  },
  {
    name: 'Confluent Avro',
    schemaId: 'csr:orders-avro:1',
    records: reencode((o) => confluentFrame(2, avroType.toBuffer(o))),
  },
  {
    name: 'Confluent Protobuf',
    schemaId: 'csr:orders-protobuf:1',
    records: reencode((o) => confluentFrame(3, protoType.encode(protoType.fromObject(o)).finish(), [0])),
  },
];

let sink: unknown;
const bench = new Bench({ time, warmup: true, warmupTime: 100 });
const sizes: Record<string, number> = {};
for (const [i, c] of cases.entries()) {
  // A version per case: the worker keeps one compiled snapshot, keyed by version.
  const snap = snapshot({ version: i + 1, policies: [policy({ schema_id: c.schemaId })], schemas });
  const batch = packBatch(c.records, snap.version, encodeSnapshot(snap), 0);
  sizes[c.name] = (c.records[0].value as Buffer).length;
  // Every record must PASS: a failing decode would make a format look cheap.
  const stats = evaluateBatch(batch).stats;
  if (Object.keys(stats.gateFailures).length) {
    throw new Error(`${c.name}: records FAIL (${Object.keys(stats.gateFailures).join(', ')}): the benchmark would lie`);
  }
  bench.add(c.name, () => {
    sink = task(batch);
  });
}
await bench.run();

const perRecord = (name: string, stat: 'mean' | 'p50') =>
  ((bench.tasks.find((t) => t.name === name)!.result as unknown as { latency: Record<string, number> }).latency[stat] *
    1e6) /
  256;
const jsonNs = perRecord(cases[0].name, 'p50');
console.log('worker task per record (batch of 256 distinct order events: unpack + every gate + pack)');
console.table(
  cases.map((c) => ({
    format: c.name,
    'value bytes': sizes[c.name],
    'ns/record (mean)': Math.round(perRecord(c.name, 'mean')),
    'median ns': Math.round(perRecord(c.name, 'p50')),
    'vs plain JSON (median)': `${(perRecord(c.name, 'p50') / jsonNs).toFixed(2)}x`,
  })),
);
void sink;
