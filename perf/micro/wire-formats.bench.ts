/**
 * Micro-benchmark of the wire formats in the worker: the same ~1 KB order event as plain JSON,
 * and Confluent-framed as JSON Schema, Avro and Protobuf, through a worker task (unpack, decode,
 * every gate, evidence, pack) on batches of 256 distinct records. The JSON figure is the
 * baseline; the goal is Avro and Protobuf within 1.5x of it.
 *   npx tsc -p tsconfig.json && node dist/perf/micro/wire-formats.bench.js
 *   (SF_BENCH_ROUNDS [21] interleaved rounds of SF_BENCH_MS [300] ms spread over the formats)
 */
import avro from 'avsc';
import { confluentFrame } from '../../src/dev/confluent-frame.js';
import { encodeSnapshot, type PackInput, packBatch } from '../../src/workers/pack.js';
import { compileProtobuf } from '../../src/workers/protobuf.js';
import type { RegistrySchema } from '../../src/workers/protocol.js';
import task, { evaluateBatch } from '../../src/workers/task.js';
import { ORDER_SCHEMA, order, policy, rec, signedPrincipal, snapshot } from '../../test/unit/gates/fixtures.js';
import { distinctOrders } from './distinct-orders.js';

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
const batches: Array<ReturnType<typeof packBatch>> = [];
const sizes: number[] = [];
for (const [i, c] of cases.entries()) {
  // A version per case: the worker keeps one compiled snapshot, keyed by version.
  const snap = snapshot({ version: i + 1, policies: [policy({ schema_id: c.schemaId })], schemas });
  const batch = packBatch(c.records, snap.version, encodeSnapshot(snap), 0);
  // Every record must PASS: a failing decode would make a format look cheap.
  const stats = evaluateBatch(batch).stats;
  if (Object.keys(stats.gateFailures).length) {
    throw new Error(`${c.name}: records FAIL (${Object.keys(stats.gateFailures).join(', ')}): the benchmark would lie`);
  }
  batches.push(batch);
  sizes.push((c.records[0].value as Buffer).length);
}

/**
 * Interleaved rounds (the formats take turns, in a rotating order) so that a noisy, shared
 * machine slows them alike; each round gives every format's ns/record and its ratio to plain
 * JSON in that same round. Reported: medians over the rounds.
 */
const rounds = Number(process.env.SF_BENCH_ROUNDS ?? 21);
const budgetMs = Number(process.env.SF_BENCH_MS ?? 300) / cases.length / 3;
const perRound: number[][] = cases.map(() => []);
const ratios: number[][] = cases.map(() => []);
/**
 * CPU time of this thread (process.cpuUsage: the benchmark is single-threaded), not wall time:
 * on a machine shared with other work, waiting for a core is not the format's cost.
 */
const runCase = (k: number): number => {
  // The worker keeps one compiled snapshot: switching cases recompiles it. Untimed here (a
  // worker compiles once per policy version, not per batch).
  sink = task(batches[k]);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  do {
    sink = task(batches[k]);
    n++;
  } while (performance.now() - t0 < budgetMs);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1e3) / (n * 256);
};
for (let k = 0; k < cases.length; k++) runCase(k); // warm-up: compile, JIT
for (let r = 0; r < rounds; r++) {
  const ns: number[] = new Array(cases.length);
  for (let j = 0; j < cases.length; j++) {
    const k = (r + j) % cases.length;
    ns[k] = runCase(k);
  }
  for (let k = 0; k < cases.length; k++) {
    perRound[k].push(ns[k]);
    ratios[k].push(ns[k] / ns[0]);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.log(
  `worker task per record, CPU ns (batches of 256 distinct order events: unpack + every gate + pack); ${rounds} interleaved rounds, medians`,
);
console.table(
  cases.map((c, k) => ({
    format: c.name,
    'value bytes': sizes[k],
    'median CPU ns/record': Math.round(median(perRound[k])),
    'vs plain JSON (median of per-round ratios)': `${median(ratios[k]).toFixed(2)}x`,
  })),
);
void sink;
