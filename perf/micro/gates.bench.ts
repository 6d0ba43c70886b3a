/**
 * Micro-benchmark of the gates on a ~1 KB order event: ns/record per gate, the whole pipeline,
 * the schema gate with TypeBox beside ajv (reference validator), pack/unpack and evidence
 * serialisation. Short by default (2 cores shared); SF_BENCH_MS raises the time per task.
 * Reports the mean and the median (p50): on a shared machine the median is the steadier one;
 * run it several times and compare medians.
 *   npx tsc -p tsconfig.json && node dist/perf/micro/gates.bench.js
 */
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Bench } from 'tinybench';
import { evaluate as evalCompat } from '../../src/workers/gates/compatibility.js';
import { compile as compileContract, evaluate as evalContract } from '../../src/workers/gates/contract.js';
import { DEFAULT_LIMITS, decodeJson } from '../../src/workers/gates/envelope.js';
import { compile as compileIdentity, compileKeys, evaluate as evalIdentity } from '../../src/workers/gates/identity.js';
import { compile as compilePii, evaluate as evalPii } from '../../src/workers/gates/pii.js';
import { detect } from '../../src/workers/gates/pii-detect.js';
import { compile as compileResolution, evaluate as evalResolution } from '../../src/workers/gates/resolution.js';
import { evaluate as evalSchema } from '../../src/workers/gates/schema.js';
import { encodeSnapshot, packBatch, packEvidence, unpackRecord } from '../../src/workers/pack.js';
import { compileSnapshot, evaluateRecord } from '../../src/workers/pipeline.js';
import { compileSchemas } from '../../src/workers/schemas.js';
import task from '../../src/workers/task.js';
import {
  CONTRACT,
  glue,
  headers,
  ORDER_SCHEMA,
  order,
  rec,
  signedPrincipal,
  snapshot,
  V1,
} from '../../test/unit/gates/fixtures.js';
import { distinctOrders } from './distinct-orders.js';

const time = Number(process.env.SF_BENCH_MS ?? 300);
const snap = snapshot();
const compiled = compileSnapshot(snap);
const value = order(3);
const bytes = Buffer.from(JSON.stringify(value));
const r = rec(bytes, headers({ 'x-sf-principal': signedPrincipal('orders-svc') }));
const wire = rec(glue(V1, bytes));
const nowJson = '"2026-01-13T12:01:02.120Z"';
const ds = compiled.datasets.values().next().value!;
const writer = compiled.schemas.get(V1)!;
const res = compileResolution(snap.resolution);
const idc = compileIdentity(snap.policies[0].producer_identity, compileKeys(snap.identity_keys));
const contract = compileContract(CONTRACT);
const piiC = compilePii('BLOCK', contract.pii);
// ajv and ajv-formats are CommonJS with `exports.default`: under NodeNext the default import is the module object.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule.default }).default;
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule.default }).default;
const ajv = new Ajv({ allErrors: false, strict: false });
addFormats(ajv);
const ajvCheck = ajv.compile(ORDER_SCHEMA);
const input = { schemaKeys: [] as string[], payload: () => value };
const sab = encodeSnapshot(snap);
const recs = distinctOrders(value, r, signedPrincipal('orders-svc'));
const batch = packBatch(recs, snap.version, sab, 0);
const evidence = Array.from({ length: 256 }, () => evaluateRecord(compiled, r, nowJson).evidence);
const writerTypeBox = compileSchemas([snap.schemas[0]], () => 'typebox').get(V1)!;
const writer2020 = compileSchemas([
  {
    ...snap.schemas[0],
    definition: JSON.stringify({ ...ORDER_SCHEMA, $schema: 'https://json-schema.org/draft/2020-12/schema' }),
  },
]).get(V1)!;
const HOSTILE_DIGITS_DOTS = '1.23.4'.repeat(65_536 / 6);
const HOSTILE_GROUPS = '050-1234 '.repeat(65_536 / 9);
/** Distinct trunk-0 numbers: each one a library look-up but for the per-string budget. */
const HOSTILE_PHONES = Array.from(
  { length: 65_536 / 14 },
  (_, i) => `030-${String(1000000 + i * 7919).slice(-7)}`,
).join(' ');
let sink: unknown;

const bench = new Bench({ time, warmup: true, warmupTime: 100 });
bench
  .add('RESOLUTION', () => {
    sink = evalResolution(res, r, input);
  })
  .add('IDENTITY (HMAC verdict cached)', () => {
    sink = evalIdentity(idc, r, value);
  })
  .add('ENVELOPE (utf-8 check, depth scan, JSON.parse)', () => {
    sink = decodeJson(bytes, DEFAULT_LIMITS);
  })
  .add('SCHEMA gate, draft-07 (ajv engine)', () => {
    sink = evalSchema(writer, value, false);
  })
  .add('SCHEMA gate, draft-07 on TypeBox (the engine before issue 16)', () => {
    sink = evalSchema(writerTypeBox, value, false);
  })
  .add('SCHEMA gate, same schema as 2020-12 (TypeBox engine)', () => {
    sink = evalSchema(writer2020, value, false);
  })
  .add('SCHEMA ajv (reference)', () => {
    sink = ajvCheck(value);
  })
  .add('COMPATIBILITY (memoised pair)', () => {
    sink = evalCompat(compiled.compat, writer, ds.registered, 'BACKWARD');
  })
  .add('CONTRACT', () => {
    sink = evalContract(contract, value);
  })
  .add('PII scan (BLOCK)', () => {
    // true: a plain JSON value, as the pipeline passes for JSON.parse output.
    sink = evalPii(piiC, value, true);
  })
  .add('PII detect, hostile 64 KB of digits and dots', () => {
    sink = detect(HOSTILE_DIGITS_DOTS, 0);
  })
  .add('PII detect, hostile 64 KB of phone-like groups', () => {
    sink = detect(HOSTILE_GROUPS, 0);
  })
  .add('PII detect, hostile 64 KB of distinct national numbers', () => {
    sink = detect(HOSTILE_PHONES, 0);
  })
  .add('pipeline: evaluateRecord, plain JSON', () => {
    sink = evaluateRecord(compiled, r, nowJson);
  })
  .add('pipeline: evaluateRecord, Glue wire format', () => {
    sink = evaluateRecord(compiled, wire, nowJson);
  })
  .add('worker task per record (batch of 256 distinct records: unpack+gates+pack)', () => {
    sink = task(batch);
  })
  .add('packBatch per record (main thread, batch of 256)', () => {
    sink = packBatch(recs, 1, sab, 0);
  })
  .add('unpackRecord', () => {
    sink = unpackRecord(batch, 7);
  })
  .add('packEvidence per record (batch of 256)', () => {
    sink = packEvidence(evidence);
  });

await bench.run();
const perBatch = new Set([
  'worker task per record (batch of 256 distinct records: unpack+gates+pack)',
  'packBatch per record (main thread, batch of 256)',
  'packEvidence per record (batch of 256)',
]);
const ajvNs =
  (bench.tasks.find((t) => t.name === 'SCHEMA ajv (reference)')!.result as { latency: { mean: number } }).latency.mean *
  1e6;
const rows = bench.tasks.map((t) => {
  const res = t.result as { latency: { mean: number; p50: number; rme: number } };
  const div = perBatch.has(t.name) ? 256 : 1;
  const ns = (res.latency.mean * 1e6) / div;
  return {
    task: t.name,
    'ns/record': Math.round(ns),
    'median ns': Math.round((res.latency.p50 * 1e6) / div),
    '±%': res.latency.rme.toFixed(1),
    'vs ajv': t.name.startsWith('SCHEMA') ? `${(ns / ajvNs).toFixed(2)}x` : '',
  };
});
console.log(
  `order event: ${bytes.length} bytes, ${(value.items as unknown[]).length} items; target: worker pipeline <= 10,000 ns/record`,
);
console.table(rows);
void sink;
