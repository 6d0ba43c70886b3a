/**
 * Micro-benchmark of the enforcer's main-thread work per record, and what observability
 * costs on it: normalising a consumed message, tracing disabled (the shipped default) vs
 * enabled with a sampler that drops everything vs enabled and sampled, and merging a
 * batch's worker-side metric aggregates vs incrementing prom-client per record.
 *   npx tsc -p tsconfig.json && node dist/perf/micro/main-thread.bench.js
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Bench } from 'tinybench';
import type { Message } from '../../src/common/kafka.js';
import { orders } from '../../src/dev/orders.js';
import { EnforcerMetrics } from '../../src/main/metrics.js';
import { toRecord } from '../../src/main/records.js';
import { RecordTracer } from '../../src/main/tracing.js';
import type { BatchStats, RecordVerdict } from '../../src/workers/protocol.js';

const BATCH = 512;
const time = Number(process.env.SF_BENCH_MS ?? 300);
const messages: Message[] = [...orders(BATCH, 1)].map((r, i) => ({
  topic: 'raw.orders.events',
  partition: i % 12,
  offset: 1000 + i,
  timestamp: Date.now(),
  key: r.key,
  value: r.value,
  size: r.value?.length ?? 0,
  headers: i % 2 === 0 ? [{ traceparent: Buffer.from(`00-${'a'.repeat(31)}1-${'b'.repeat(15)}1-01`) }] : [],
}));
const records = messages.map(toRecord);
const verdict: RecordVerdict = {
  dataset_urn: 'urn:dp:orders:created',
  evidence_id: 'evd-x',
  pass: true,
  action: 'NONE',
  failed_gates: [],
  identity_confidence: 'MEDIUM',
};
const stats: BatchStats = {
  records: {
    'raw.orders.events\u0000urn:dp:orders:created\u0000PASS': 480,
    'raw.orders.events\u0000urn:dp:orders:created\u0000FAIL': 32,
  },
  gateFailures: { 'CONTRACT\u0000MISSING_FIELD\u0000urn:dp:orders:created': 32 },
  evalMs: { 'urn:dp:orders:created': new Array(BATCH).fill(0.02) },
};

const tracerOf = (sampler: AlwaysOnSampler | AlwaysOffSampler) => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: new RecordTracer(provider.getTracer('bench')), exporter };
};
const off = new RecordTracer(undefined);
const dropAll = tracerOf(new AlwaysOffSampler());
const sampled = tracerOf(new AlwaysOnSampler());
const metrics = new EnforcerMetrics();

function traceBatch(t: RecordTracer): void {
  if (!t.enabled) return; // what the enforcer does per batch when tracing is off
  const now = Date.now();
  for (const r of records) {
    const s = t.start(r, now);
    if (s) {
      t.evaluated(s, r, verdict, now, now);
      t.emitted(s);
    }
  }
}

let sink: unknown;
const bench = new Bench({ time, warmup: true, warmupTime: 100 });
bench
  .add('toRecord (normalise a consumed message)', () => {
    sink = messages.map(toRecord);
  })
  .add('tracing disabled (default)', () => traceBatch(off))
  .add('tracing enabled, sampler drops all', () => traceBatch(dropAll.tracer))
  .add('tracing enabled, every record sampled (5 spans)', () => {
    traceBatch(sampled.tracer);
    sampled.exporter.reset();
  })
  .add('metrics: merge per-batch worker aggregates', () => metrics.mergeBatch(stats))
  .add('metrics: prom-client counter inc per record, 2 calls (what we avoid)', () => {
    for (let i = 0; i < BATCH; i++) {
      metrics.records.inc({ topic: 'raw.orders.events', dataset: 'urn:dp:orders:created', result: 'PASS' });
      metrics.records.inc({ topic: 'raw.orders.events', dataset: 'urn:dp:orders:created', result: 'FAIL' }, 0);
    }
  });

await bench.run();
const rows = bench.tasks.map((t) => {
  const res = t.result as { latency: { mean: number; rme: number } };
  return { task: t.name, 'ns/record': Math.round((res.latency.mean * 1e6) / BATCH), '±%': res.latency.rme.toFixed(1) };
});
console.log(`main thread, per record (batches of ${BATCH}); half the records carry a traceparent`);
console.table(rows);
void sink;
