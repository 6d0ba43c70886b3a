/**
 * Benchmark of the evidence archive (issue 18): events/s archived from a real evidence topic to
 * S3 (moto) as Parquet, beside (1) a consume-only baseline of the same topic with the same client
 * (the ceiling of any consumer of it on this machine) and (2) the enforcer's evidence rate, the
 * figure the archive must keep up with (~27k evidence/s in the last full perf run). Also the
 * Parquet encoding alone (CPU cost per event, no Kafka, no S3) and the compression ratio.
 *
 *   scripts/stack up && . .stack/env && npx tsc -p tsconfig.json
 *   node dist/perf/archive.js [--events 200000] [--rounds 1]
 *
 * Prints a markdown table and writes perf/results/<timestamp>-archive.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { EvidenceArchiver } from '../src/archive/archiver.js';
import { toParquet } from '../src/archive/parquet.js';
import { s3Client } from '../src/common/aws.js';
import { KafkaConsumer, type Message } from '../src/common/kafka.js';
import { ensureTopics, withAdmin } from '../src/common/kafka-admin.js';
import { createLogger } from '../src/common/logger.js';
import { parseEvidence } from '../src/control-plane/evidence/consumer.js';
import { produceAll } from '../src/dev/produce.js';
import { REPO_ROOT } from '../src/dev/services.js';
import type { EvidenceEvent } from '../src/models/index.js';

const ENFORCER_EVIDENCE_RATE = 27_000;
const PARTITIONS = 12;
const DATASETS = ['orders.created', 'payments.settled', 'customers.updated', 'shipments.sent', 'refunds.issued'];

/** An evidence event of the enforcer's shape and size (~800 B). */
function evidence(i: number, t0: number): EvidenceEvent {
  const fail = i % 20 === 0;
  const hex = (n: number) => ((i * 2654435761 + n) >>> 0).toString(16).padStart(8, '0');
  return {
    evidence_id: `evd-${hex(1)}${hex(2)}${hex(3)}${hex(4)}`,
    timestamp: new Date(t0 + Math.floor(i / 50)).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: `urn:dp:${DATASETS[i % DATASETS.length]}`,
    producer: { producer_id: 'orders-svc', identity_confidence: 'HIGH' },
    source: {
      raw_topic: 'raw.orders.events',
      partition: i % 12,
      offset: Math.floor(i / 12),
      key: `order-${i}`,
      event_time: new Date(t0 + Math.floor(i / 50)).toISOString(),
    },
    schema: { schema_id: 'glue:signal-factory/orders.created:3' },
    contract: { contract_id: 'orders.created:v2' },
    validation: {
      result: fail ? 'FAIL' : 'PASS',
      failed_gates: fail ? ['CONTRACT'] : [],
      reason_codes: fail ? ['MISSING_FIELD:customer_id'] : [],
      gate_reasons: fail ? { CONTRACT: ['MISSING_FIELD:customer_id'] } : {},
    },
    otel: { trace_id: `${hex(5)}${hex(6)}${hex(7)}${hex(8)}`, span_id: `${hex(9)}${hex(10)}` },
    fingerprints: {
      payload_hash: `sha256:${hex(11).repeat(8)}`,
      schema_fingerprint: `sha256:${hex(12).repeat(8)}`,
    },
    policy_version: 7,
    enforcement: { mode: 'QUARANTINE_ON_FAIL', action: fail ? 'QUARANTINED' : 'NONE' },
  };
}

async function consumeOnly(brokers: string, topic: string, total: number): Promise<number> {
  const c = new KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': `perf-archive-baseline-${randomUUID()}`,
      'enable.auto.commit': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((res, rej) => c.connect({ timeout: 20_000 }, (e) => (e ? rej(e) : res())));
  c.setDefaultConsumeTimeout(200);
  c.subscribe([topic]);
  let n = 0;
  let start = 0;
  while (n < total) {
    const msgs = await new Promise<Message[]>((res, rej) => c.consume(10_000, (e, m) => (e ? rej(e) : res(m))));
    if (msgs.length > 0 && start === 0) start = performance.now();
    n += msgs.length;
  }
  const s = (performance.now() - start) / 1000;
  await new Promise<void>((r) => c.disconnect(() => r()));
  return total / s;
}

async function archive(brokers: string, topic: string, total: number, endpoint: string | undefined) {
  const s3 = s3Client({ awsEndpoint: endpoint, awsRegion: process.env.AWS_REGION || 'us-east-1' });
  const bucket = `sf-perf-archive-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  let events = 0;
  let bytes = 0;
  let files = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const a = new EvidenceArchiver({
    brokers,
    topic,
    groupId: `perf-archive-${randomUUID()}`,
    location: { bucket, prefix: 'evidence' },
    s3,
    batchEvents: 100_000,
    batchMs: 5_000,
    logger: createLogger('perf-archive', 'warn'),
    onBatch: (b) => {
      events += b.events;
      bytes += b.bytes;
      files += b.files;
      if (events >= total) done();
    },
  });
  await a.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const running = a.run();
  await Promise.race([
    finished,
    running.then(() => {
      throw new Error('the archiver stopped before archiving every event');
    }),
  ]);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await a.stop();
  await running;
  s3.destroy();
  return {
    rate: total / s,
    seconds: s,
    bytes,
    files,
    cpuSecPer100k: ((cpu.user + cpu.system) / 1e6 / total) * 100_000,
  };
}

async function main() {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '1' } },
  });
  const total = Number(values.events);
  const brokers = process.env.SF_KAFKA_BROKERS;
  if (!brokers || !process.env.SF_AWS_ENDPOINT)
    throw new Error('needs the local stack: scripts/stack up && . .stack/env');
  const t0 = Date.now();
  const all = Array.from({ length: total }, (_, i) => evidence(i, t0));
  // A value the archive would skip as not-evidence would make the run wait forever: check first.
  if (!all.slice(0, 1000).every((e) => parseEvidence(Buffer.from(JSON.stringify(e))))) {
    throw new Error('the generated events are not valid evidence events');
  }
  const jsonBytes = all.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);

  // Encoding alone: 100k events (or all) into one file, as one batch's largest file would be.
  const sample = all.slice(0, Math.min(total, 100_000)).map((event, i) => ({ event, partition: 0, offset: i }));
  const e0 = performance.now();
  const parquet = toParquet(sample);
  const encodeRate = sample.length / ((performance.now() - e0) / 1000);

  const topic = `perf-archive-${randomUUID().slice(0, 8)}`;
  await withAdmin(brokers, (admin) => ensureTopics(admin, [{ topic, numPartitions: PARTITIONS }]));
  await produceAll(
    brokers,
    topic,
    all.map((e) => ({
      key: Buffer.from(`${e.source.raw_topic}/${e.source.partition}`),
      value: Buffer.from(JSON.stringify(e)),
    })),
  );
  const rounds = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const baseline = await consumeOnly(brokers, topic, total);
    const a = await archive(brokers, topic, total, process.env.SF_AWS_ENDPOINT);
    rounds.push({ baseline, ...a });
  }
  await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const result = {
    at: new Date().toISOString(),
    events: total,
    mean_evidence_bytes: Math.round(jsonBytes / total),
    load_average: (await import('node:os')).loadavg().map((l) => Math.round(l * 10) / 10),
    encode_events_per_s: Math.round(encodeRate),
    parquet_bytes_per_event: Math.round((parquet.byteLength / sample.length) * 10) / 10,
    compression_ratio_vs_json: Math.round((jsonBytes / total / (parquet.byteLength / sample.length)) * 10) / 10,
    consume_only_events_per_s: Math.round(median(rounds.map((r) => r.baseline))),
    archive_events_per_s: Math.round(median(rounds.map((r) => r.rate))),
    archive_cpu_s_per_100k: Math.round(median(rounds.map((r) => r.cpuSecPer100k)) * 100) / 100,
    archive_files: rounds[0].files,
    enforcer_evidence_rate: ENFORCER_EVIDENCE_RATE,
  };
  const ratio = (x: number) => (x / ENFORCER_EVIDENCE_RATE).toFixed(2);
  process.stdout.write(
    [
      `| figure | value | vs enforcer evidence rate (${ENFORCER_EVIDENCE_RATE}/s) |`,
      '|---|---|---|',
      `| consume-only baseline (same topic, same client) | ${result.consume_only_events_per_s}/s | ${ratio(result.consume_only_events_per_s)} |`,
      `| archive: consume + Parquet + S3 put + commit | ${result.archive_events_per_s}/s | ${ratio(result.archive_events_per_s)} |`,
      `| Parquet encoding alone (one thread) | ${result.encode_events_per_s}/s | ${ratio(result.encode_events_per_s)} |`,
      `| archive CPU (this process) | ${result.archive_cpu_s_per_100k} s / 100k events | |`,
      `| size | ${result.mean_evidence_bytes} B JSON -> ${result.parquet_bytes_per_event} B Parquet (x${result.compression_ratio_vs_json}) | |`,
      `| load average during the run | ${result.load_average.join(', ')} | |`,
      '',
    ].join('\n'),
  );
  const dir = join(REPO_ROOT, 'perf', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${result.at.replace(/[:.]/g, '-')}-archive.json`), `${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'perf/archive failed', err: String(err) })}\n`);
    process.exit(1);
  },
);
