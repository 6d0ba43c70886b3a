/**
 * Benchmark of the evidence archive (issue 18): events/s archived from a real evidence topic to
 * S3 (moto) as Parquet by 1 and N `signal-factory archive` processes (real child processes, one
 * consumer group per run), beside
 *  - the read limit: kcat reading the same backlog into /dev/null (perf/lib/limit.ts), and a
 *    consume-only Node baseline (librdkafka consume, same client, no parse);
 *  - the enforcer's evidence rate, the figure the archive must keep up with (~27-28k evidence/s
 *    in the last full perf run on this machine);
 *  - the Parquet encoding alone (one thread, no Kafka, no S3) and the compression ratio.
 * A run's rate is the backlog / (time from every process ready to the group's commits reaching the
 * end of every partition): start-up and the group join are in it. Peak RSS is VmHWM per process.
 *
 *   scripts/stack up && . .stack/env && npm run build
 *   node dist/perf/archive.js [--events 400000] [--processes 2] [--rounds 1] [--profile] [--heap-mb 384]
 *
 * --profile runs the archive processes under node --cpu-prof (.stack/logs/perf-archive/prof);
 * --heap-mb caps their V8 old space (--max-old-space-size) as the Helm chart does.
 * Prints a markdown table and writes perf/results/<timestamp>-archive.json.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { toParquet } from '../src/archive/parquet.js';
import { s3Client } from '../src/common/aws.js';
import { KafkaConsumer, type Message } from '../src/common/kafka.js';
import { type Admin, ensureTopics, withAdmin } from '../src/common/kafka-admin.js';
import { parseEvidence } from '../src/control-plane/evidence/consumer.js';
import { produceAll } from '../src/dev/produce.js';
import { freePort, REPO_ROOT, waitReady } from '../src/dev/services.js';
import type { EvidenceEvent } from '../src/models/index.js';
import { kcatRead } from './lib/limit.js';
import { sample, scrape } from './lib/procs.js';

const ENFORCER_EVIDENCE_RATE = 28_000;
const PARTITIONS = 12;
const DATASETS = ['orders.created', 'payments.settled', 'customers.updated', 'shipments.sent', 'refunds.issued'];
const LOG_DIR = join(REPO_ROOT, '.stack', 'logs', 'perf-archive');
const BIN = join(REPO_ROOT, 'bin', 'signal-factory.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Events/s and this process's CPU seconds per 100k events (librdkafka's threads included). */
async function consumeOnly(brokers: string, topic: string, total: number): Promise<{ rate: number; cpu: number }> {
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
  const cpu0 = process.cpuUsage();
  while (n < total) {
    const msgs = await new Promise<Message[]>((res, rej) => c.consume(10_000, (e, m) => (e ? rej(e) : res(m))));
    if (msgs.length > 0 && start === 0) start = performance.now();
    n += msgs.length;
  }
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise<void>((r) => c.disconnect(() => r()));
  return { rate: total / s, cpu: ((cpu.user + cpu.system) / 1e6 / total) * 100_000 };
}

interface ArchiveProc {
  pid: number;
  url: string;
  stop(): Promise<number | null>;
}
/** Every archive process still running, so that a failed run leaves none behind. */
const live = new Set<() => void>();

/** One `signal-factory archive` child process; resolves when its /readyz says ready. */
async function startArchive(name: string, env: Record<string, string>, nodeArgs: string[]): Promise<ArchiveProc> {
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const out = createWriteStream(join(LOG_DIR, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'archive'], {
    env: { ...process.env, ...env, SF_ARCHIVE_HTTP_PORT: String(port), SF_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const kill = () => child.kill('SIGKILL');
  live.add(kill);
  const stop = async () => {
    live.delete(kill);
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    return code;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${url}/readyz`, 90_000, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not become ready (${(e as Error).message}); see ${LOG_DIR}/${name}.log`);
  }
  return { pid: child.pid as number, url, stop };
}

/** True when the group's commits reached `highs` on every partition. */
async function committedAll(admin: Admin, group: string, topic: string, highs: Map<number, number>): Promise<boolean> {
  try {
    const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const got = new Map(
      (res[0]?.partitions ?? []).map((p: { partition: number; offset: string }) => [p.partition, Number(p.offset)]),
    );
    return [...highs].every(([p, high]) => high === 0 || (got.get(p) ?? -1) >= high);
  } catch {
    return false; // coordinator busy: ask again
  }
}

/** N archive processes in one new group drain the whole topic into a new prefix. */
async function archiveRun(
  admin: Admin,
  o: { brokers: string; topic: string; bucket: string; total: number; processes: number; nodeArgs: string[] },
) {
  const run = `n${o.processes}-${randomUUID().slice(0, 8)}`;
  const group = `perf-archive-${run}`;
  const highs = new Map(
    (await admin.fetchTopicOffsets(o.topic)).map((p: { partition: number; high: string }) => [
      p.partition,
      Number(p.high),
    ]),
  );
  const env = {
    SF_EVIDENCE_TOPIC: o.topic,
    SF_ARCHIVE_GROUP_ID: group,
    SF_ARCHIVE_URI: `s3://${o.bucket}/${run}`,
    // The backlog's last, partial batch waits this long before it is written: part of the time measured.
    SF_ARCHIVE_BATCH_MS: '2000',
  };
  const procs = await Promise.all(
    Array.from({ length: o.processes }, (_, i) => startArchive(`${run}-${i}`, env, o.nodeArgs)),
  );
  const cpu0 = procs.map((p) => sample(p.pid).cpu);
  const t0 = performance.now();
  const deadline = Date.now() + Math.max(300_000, o.total); // ~1 ms per event: far beyond any sane rate
  while (!(await committedAll(admin, group, o.topic, highs))) {
    if (Date.now() > deadline) throw new Error(`${run}: the group did not commit the whole topic in time`);
    await sleep(100);
  }
  const seconds = (performance.now() - t0) / 1000;
  const end = procs.map((p) => sample(p.pid));
  const metrics = await Promise.all(procs.map((p) => scrape(p.url)));
  const codes = await Promise.all(procs.map((p) => p.stop()));
  if (codes.some((c) => c !== 0)) throw new Error(`${run}: an archive process exited ${codes.join(', ')}`);
  const sum = (k: string) => metrics.reduce((n, m) => n + (m.get(k) ?? 0), 0);
  const archived = sum('archive_events_total');
  // Events written twice (a rebalance between a put and its commit) overwrite the same keys.
  if (archived < o.total) throw new Error(`${run}: ${archived} events archived for ${o.total}`);
  const cpu = end.reduce((n, s, i) => n + s.cpu - cpu0[i], 0);
  return {
    processes: o.processes,
    rate: o.total / seconds,
    seconds,
    files: sum('archive_files_total'),
    bytes: sum('archive_bytes_total'),
    cpuSecPer100k: (cpu / o.total) * 100_000,
    peakRssMb: Math.max(...end.map((s) => s.hwm)) / 2 ** 20,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '400000' },
      processes: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      'heap-mb': { type: 'string' },
    },
  });
  const total = Number(values.events);
  const maxProcs = Number(values.processes);
  const brokers = process.env.SF_KAFKA_BROKERS;
  const endpoint = process.env.SF_AWS_ENDPOINT;
  if (!brokers || !endpoint) throw new Error('needs the local stack: scripts/stack up && . .stack/env');
  if (!(total > 0) || !(maxProcs >= 1)) throw new Error('--events and --processes must be positive numbers');
  const t0 = Date.now();
  let all: EvidenceEvent[] = Array.from({ length: total }, (_, i) => evidence(i, t0));
  // A value the archive would skip as not-evidence would make the run wait forever: check first.
  if (!all.slice(0, 1000).every((e) => parseEvidence(Buffer.from(JSON.stringify(e))))) {
    throw new Error('the generated events are not valid evidence events');
  }
  const jsonBytes = all.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);

  // Encoding alone: 100k events (or all) into one file, as one batch's largest file would be.
  const sample100k = all.slice(0, Math.min(total, 100_000)).map((event, i) => ({ event, partition: 0, offset: i }));
  const e0 = performance.now();
  const parquet = toParquet(sample100k);
  const encodeRate = sample100k.length / ((performance.now() - e0) / 1000);

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
  all = []; // the children do the work: this process keeps no backlog copy
  const s3 = s3Client({ awsEndpoint: endpoint, awsRegion: process.env.AWS_REGION || 'us-east-1' });
  const bucket = `sf-perf-archive-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  const nodeArgs = [
    ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(LOG_DIR, 'prof')}`] : []),
    ...(values['heap-mb'] ? [`--max-old-space-size=${Number(values['heap-mb'])}`] : []),
  ];
  const counts = maxProcs === 1 ? [1] : [1, maxProcs];
  const rounds: {
    kcat: number;
    kcatCpu: number;
    baseline: { rate: number; cpu: number };
    runs: Awaited<ReturnType<typeof archiveRun>>[];
  }[] = [];
  const loads: number[] = [];
  try {
    await withAdmin(brokers, async (admin) => {
      for (let r = 0; r < Number(values.rounds); r++) {
        loads.push(loadavg()[0]);
        const k = await kcatRead(brokers, topic);
        const baseline = await consumeOnly(brokers, topic, total);
        const runs = [];
        for (const n of counts) {
          runs.push(await archiveRun(admin, { brokers, topic, bucket, total, processes: n, nodeArgs }));
          loads.push(loadavg()[0]);
        }
        rounds.push({ kcat: total / k.seconds, kcatCpu: (k.cpu / total) * 100_000, baseline, runs });
      }
    });
  } finally {
    await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const round1 = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const kcat = median(rounds.map((r) => r.kcat));
  const byProcs = counts.map((n, i) => {
    const rs = rounds.map((r) => r.runs[i]);
    return {
      processes: n,
      events_per_s: Math.round(median(rs.map((x) => x.rate))),
      per_round_events_per_s: rs.map((x) => Math.round(x.rate)),
      cpu_s_per_100k: round1(median(rs.map((x) => x.cpuSecPer100k)), 2),
      peak_rss_mb_per_process: Math.round(Math.max(...rs.map((x) => x.peakRssMb))),
      files: rs[0].files,
    };
  });
  const result = {
    at: new Date().toISOString(),
    events: total,
    partitions: PARTITIONS,
    mean_evidence_bytes: Math.round(jsonBytes / total),
    load_average_1m_during: loads.map((l) => round1(l)),
    encode_events_per_s: Math.round(encodeRate),
    parquet_bytes_per_event: round1(parquet.byteLength / sample100k.length),
    compression_ratio_vs_json: round1(jsonBytes / total / (parquet.byteLength / sample100k.length)),
    kcat_read_events_per_s: Math.round(kcat),
    kcat_read_cpu_s_per_100k: round1(median(rounds.map((r) => r.kcatCpu)), 2),
    consume_only_events_per_s: Math.round(median(rounds.map((r) => r.baseline.rate))),
    consume_only_cpu_s_per_100k: round1(median(rounds.map((r) => r.baseline.cpu)), 2),
    archive: byProcs,
    enforcer_evidence_rate: ENFORCER_EVIDENCE_RATE,
    archive_node_args: nodeArgs,
    // SF_ARCHIVE_BATCH_EVENTS of the bench's environment reaches the children (default 100000).
    archive_batch_events: Number(process.env.SF_ARCHIVE_BATCH_EVENTS ?? 100_000),
  };
  const frac = (x: number) => (x / kcat).toFixed(2);
  // The load-independent figure: how many events one CPU archives per second.
  const perCpu = (cpuPer100k: number) => Math.round(100_000 / cpuPer100k);
  const vsEnf = (x: number) => (x / ENFORCER_EVIDENCE_RATE).toFixed(2);
  const rows = [
    `| figure | events/s | vs kcat read (limit) | vs enforcer evidence rate (${ENFORCER_EVIDENCE_RATE}/s) | CPU s / 100k | events per CPU-second | peak RSS / process |`,
    '|---|---|---|---|---|---|---|',
    `| limit: kcat -C > /dev/null, same backlog | ${result.kcat_read_events_per_s} | 1 | ${vsEnf(kcat)} | ${result.kcat_read_cpu_s_per_100k} | ${perCpu(result.kcat_read_cpu_s_per_100k)} | |`,
    `| consume-only Node baseline (librdkafka, no parse) | ${result.consume_only_events_per_s} | ${frac(result.consume_only_events_per_s)} | ${vsEnf(result.consume_only_events_per_s)} | ${result.consume_only_cpu_s_per_100k} | ${perCpu(result.consume_only_cpu_s_per_100k)} | |`,
    ...byProcs.map(
      (a) =>
        `| archive, ${a.processes} process${a.processes > 1 ? 'es' : ''} (consume, Parquet, S3 put, commit) | ${a.events_per_s} | ${frac(a.events_per_s)} | ${vsEnf(a.events_per_s)} | ${a.cpu_s_per_100k} | ${perCpu(a.cpu_s_per_100k)} | ${a.peak_rss_mb_per_process} MB |`,
    ),
    `| Parquet encoding alone (one thread, 100k events) | ${result.encode_events_per_s} | | ${vsEnf(result.encode_events_per_s)} | | | |`,
    '',
    `${total} events (${result.mean_evidence_bytes} B JSON -> ${result.parquet_bytes_per_event} B Parquet, x${result.compression_ratio_vs_json}), ${PARTITIONS} partitions, rounds: ${rounds.length}; per-round archive rates: ${byProcs.map((a) => `${a.processes}p ${a.per_round_events_per_s.join('/')}`).join(', ')}; 1-min load average during the run: ${result.load_average_1m_during.join(', ')}`,
    '',
  ];
  process.stdout.write(rows.join('\n'));
  const dir = join(REPO_ROOT, 'perf', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${result.at.replace(/[:.]/g, '-')}-archive.json`), `${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    for (const kill of live) kill();
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'perf/archive failed', err: String(err) })}\n`);
    process.exit(1);
  },
);
