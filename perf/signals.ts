/**
 * Signal Engine benchmark (issue 15): one engine process against pre-loaded evidence.
 *   node dist/perf/signals.js [--events 200000] [--datasets 50]     (or perf/run --signals)
 * Needs the local stack (. .stack/env). Measures, on fresh topics:
 * - drain: evidence events/s one engine folds (stage 1 + stage 2 in one process), next to a
 *   consume-only baseline of the same topic (librdkafka consume + JSON.parse, no fold, no
 *   transactions) so the ratio means something on a noisy machine; goal >= 30,000/s;
 * - signal latency: a probe FAIL record per second while a background load runs; latency =
 *   the snapshot on signal_factory.signals that counts it minus its send time; p95 goal < 5 s;
 * - RSS of the engine (peak), which should follow datasets, not traffic.
 */
import { parseArgs } from 'node:util';
import { KafkaConsumer, type Message, Producer } from '../src/common/kafka.js';
import { api, freePort, REPO_ROOT, type Service, startService } from '../src/dev/services.js';
import type { EvidenceEvent, SignalSnapshot } from '../src/models/index.js';
import { kcatRead } from './lib/limit.js';
import { sample, scrape } from './lib/procs.js';
import { createTopics, startControlPlaneProcess } from './lib/signals-rig.js';

export interface SignalsBenchResult {
  events: number;
  datasets: number;
  drainSec: number;
  eventsPerSec: number;
  baselineEventsPerSec: number;
  ratioToBaseline: number;
  /** The stock-tool limit: kcat reading the same backlog into /dev/null (wall time, start included). */
  kcatEventsPerSec: number;
  ratioToKcat: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyProbes: number;
  peakRssMB: number;
  /** RSS once the engine was ready, before it read any evidence. */
  readyRssMB: number;
  /** Where the memory was at the highest sampled RSS (MB, from the engine's /metrics). */
  peakBreakdown: MemoryBreakdown;
  engineCpuSec: number;
}

export interface MemoryBreakdown {
  rssMB: number;
  heapTotalMB: number;
  heapUsedMB: number;
  /** Buffers outside the V8 heap (consumed message values, produce buffers). */
  externalMB: number;
  /** librdkafka queues by client (prefetch, producer queue), from its statistics. */
  queuedMB: Record<string, number>;
  /** RSS minus heap, external and librdkafka queues: code, stacks, malloc arenas, librdkafka's own state. */
  restMB: number;
}

const mb = (b: number) => Math.round(b / 104857.6) / 10;

/** Splits the RSS of one /metrics scrape. */
export function breakdown(m: Map<string, number>, rss: number): MemoryBreakdown {
  const queued: Record<string, number> = {};
  let q = 0;
  for (const [k, v] of m) {
    const c = /^signals_client_queued_bytes\{client="([^"]+)"\}$/.exec(k)?.[1];
    if (c) {
      queued[c] = mb(v);
      q += v;
    }
  }
  const heapTotal = m.get('nodejs_heap_size_total_bytes') ?? 0;
  const external = m.get('nodejs_external_memory_bytes') ?? 0;
  return {
    rssMB: mb(rss),
    heapTotalMB: mb(heapTotal),
    heapUsedMB: mb(m.get('nodejs_heap_size_used_bytes') ?? 0),
    externalMB: mb(external),
    queuedMB: queued,
    restMB: mb(rss - heapTotal - external - q),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function evidence(
  urn: string,
  rawTopic: string,
  partition: number,
  offset: number,
  fail: boolean,
  at: number,
): EvidenceEvent {
  return {
    evidence_id: `evd-${rawTopic}-${partition}-${offset}`,
    timestamp: new Date(at).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: urn,
    producer: { producer_id: fail ? 'legacy-svc' : 'orders-svc', identity_confidence: 'MEDIUM' },
    source: {
      raw_topic: rawTopic,
      partition,
      offset,
      key: `k-${offset}`,
      event_time: new Date(at - 250).toISOString(),
    },
    schema: { schema_id: 'glue:orders.created:1' },
    contract: { contract_id: 'dc:orders.created:3' },
    validation: fail
      ? {
          result: 'FAIL',
          failed_gates: ['CONTRACT'],
          reason_codes: ['MISSING_FIELD:customer_id'],
          gate_reasons: { CONTRACT: ['MISSING_FIELD:customer_id'] },
        }
      : { result: 'PASS', failed_gates: [], reason_codes: [], gate_reasons: {} },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: `sha256:${'0'.repeat(64)}`, schema_fingerprint: null },
    policy_version: 1,
    enforcement: { mode: 'QUARANTINE_ON_FAIL', action: fail ? 'QUARANTINED' : 'NONE' },
  };
}

async function connected<T extends Producer | KafkaConsumer>(c: T): Promise<T> {
  await new Promise<void>((res, rej) => (c as Producer).connect({}, (e) => (e ? rej(e) : res())));
  return c;
}

/** Produces `n` events over `datasets` datasets (8 raw partitions each), 2% FAIL, as fast as the client goes. */
async function preload(brokers: string, topic: string, urns: string[], n: number): Promise<void> {
  const p = await connected(
    new Producer({
      'metadata.broker.list': brokers,
      'linger.ms': 20,
      'batch.num.messages': 10000,
      'compression.type': 'lz4',
      'queue.buffering.max.messages': 500000,
    }),
  );
  const now = Date.now();
  const offsets = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const urn = urns[i % urns.length];
    const raw = `raw.${urn.split(':').pop()}`;
    const part = Math.floor(i / urns.length) % 8;
    const k = `${raw}/${part}`;
    const off = offsets.get(k) ?? 0;
    offsets.set(k, off + 1);
    const v = Buffer.from(JSON.stringify(evidence(urn, raw, part, off, i % 50 === 0, now)));
    for (;;) {
      try {
        p.produce(topic, null, v, Buffer.from(k));
        break;
      } catch {
        p.poll();
        await sleep(5);
      }
    }
    if (i % 10000 === 0) p.poll();
  }
  await new Promise<void>((res, rej) => p.flush(60_000, (e) => (e ? rej(e) : res())));
  await new Promise<void>((res) => p.disconnect(() => res()));
}

/** Consume-only baseline: the same topic, a fresh group, consume + JSON.parse. */
async function baseline(brokers: string, topic: string, n: number): Promise<number> {
  const c = await connected(
    new KafkaConsumer(
      {
        'metadata.broker.list': brokers,
        'group.id': `perf-signals-baseline-${Date.now()}`,
        'enable.auto.commit': false,
      },
      { 'auto.offset.reset': 'earliest' },
    ),
  );
  c.setDefaultConsumeTimeout(500);
  c.subscribe([topic]);
  let got = 0;
  let t0 = 0;
  while (got < n) {
    const batch = await new Promise<Message[]>((res, rej) => c.consume(10000, (e, m) => (e ? rej(e) : res(m))));
    if (batch.length > 0 && t0 === 0) t0 = performance.now();
    for (const m of batch) if (m.value) JSON.parse(m.value.toString('utf8'));
    got += batch.length;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await new Promise<void>((res) => c.disconnect(() => res()));
  return Math.round(rate);
}

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]);
};

export async function runSignalsBench(o: {
  brokers: string;
  events: number;
  datasets: number;
  log: (m: string) => void;
}): Promise<SignalsBenchResult> {
  const id = `perf-signals-${Date.now().toString(36)}`;
  const topics = {
    SF_EVIDENCE_TOPIC: `${id}.evidence`,
    SF_SIGNALS_PARTIALS_TOPIC: `${id}.partials`,
    SF_SIGNALS_TOPIC: `${id}.signals`,
    SF_INCIDENTS_TOPIC: `${id}.incidents`,
    SF_SIGNALS_GROUP_ID: `${id}.engine`,
  };
  await createTopics(o.brokers, [{ topic: topics.SF_EVIDENCE_TOPIC, numPartitions: 12 }]);
  const logDir = `${REPO_ROOT}/.stack/logs/perf`;
  const services: Service[] = [];
  try {
    const cp = await startControlPlaneProcess(topics, logDir);
    services.push(cp.service);
    const urns = Array.from({ length: o.datasets }, (_, i) => `urn:dp:perf:ds-${id.slice(-6)}-${i}`);
    const probe = `urn:dp:perf:probe-${id.slice(-6)}`;
    for (const urn of [...urns, probe]) {
      const r = await api(cp.service.url, cp.admin, 'PUT', `/v1/datasets/${urn}/policy`, {
        dataset_urn: urn,
        enforcement_mode: 'ALERT_ONLY',
        pii_policy: 'ALLOW',
        owners: ['perf-team'],
        tier: 'TIER_2',
        freshness_slo_sec: 600,
        volume_rpm_expected: 0,
      });
      if (r.status >= 300) throw new Error(`PUT policy ${urn}: ${r.status}`);
    }
    o.log(`signals: preloading ${o.events} evidence events over ${o.datasets} datasets`);
    await preload(o.brokers, topics.SF_EVIDENCE_TOPIC, urns, o.events);
    const baselineRate = await baseline(o.brokers, topics.SF_EVIDENCE_TOPIC, o.events);
    o.log(`signals: consume-only baseline ${baselineRate} events/s`);
    const k = await kcatRead(o.brokers, topics.SF_EVIDENCE_TOPIC);
    const kcatRate = Math.round(o.events / k.seconds);
    o.log(
      `signals: kcat read the ${o.events} events in ${k.seconds.toFixed(1)} s (${kcatRate}/s, ${k.cpu.toFixed(1)} CPU s)`,
    );

    const port = await freePort();
    const engine = await startService({
      name: `${id}-engine`,
      command: 'signals',
      env: {
        ...topics,
        SF_CONTROL_PLANE_URL: cp.service.url,
        SF_SIGNALS_HTTP_PORT: String(port),
        SF_SIGNALS_EVAL_INTERVAL_MS: '1000',
        SF_SIGNALS_TOPIC_PARTITIONS: '12',
      },
      port,
      logDir,
      readyTimeoutMs: 90_000,
    });
    services.push(engine);
    const pid = engine.child.pid!;
    const { cpu: cpu0, rss: readyRss } = sample(pid);
    const ready = performance.now();
    // The drain clock starts at the first folded event (group join and assignment excluded).
    let t0 = 0;
    let peak = 0;
    let peakBreakdown = breakdown(new Map(), 0);
    let t1 = 0;
    for (;;) {
      const m = await scrape(engine.url);
      const rss = sample(pid).rss;
      if (rss > peak) {
        peak = rss;
        peakBreakdown = breakdown(m, rss);
      }
      const done = (m.get('signals_evidence_folded_total') ?? 0) + (m.get('signals_evidence_duplicates_total') ?? 0);
      if (done > 0 && t0 === 0) t0 = performance.now();
      if (done >= o.events) {
        t1 = performance.now();
        break;
      }
      if (performance.now() - ready > 600_000) throw new Error(`drain stalled at ${done}/${o.events}`);
      await sleep(100);
    }
    const drainSec = (t1 - t0) / 1000;
    const cpuSec = sample(pid).cpu - cpu0;
    o.log(`signals: drained ${o.events} in ${drainSec.toFixed(1)} s (${Math.round(o.events / drainSec)}/s)`);

    // Latency: a probe FAIL per second over a 2,000/s background load, read back from the signals topic.
    const lat = await latency(
      o.brokers,
      topics,
      probe,
      urns[0],
      (rss) => {
        peak = Math.max(peak, rss);
      },
      pid,
    );
    return {
      events: o.events,
      datasets: o.datasets,
      drainSec: Math.round(drainSec * 10) / 10,
      eventsPerSec: Math.round(o.events / drainSec),
      baselineEventsPerSec: baselineRate,
      ratioToBaseline: Math.round((o.events / drainSec / baselineRate) * 1000) / 1000,
      kcatEventsPerSec: kcatRate,
      ratioToKcat: Math.round((o.events / drainSec / kcatRate) * 1000) / 1000,
      latencyP50Ms: pct(lat, 0.5),
      latencyP95Ms: pct(lat, 0.95),
      latencyProbes: lat.length,
      // VmHWM: the kernel's high-water mark, so a peak between two samples counts too.
      peakRssMB: Math.round(Math.max(peak, sample(pid).hwm) / 1048576),
      readyRssMB: Math.round(readyRss / 1048576),
      peakBreakdown,
      engineCpuSec: Math.round(cpuSec * 10) / 10,
    };
  } finally {
    for (const s of services.reverse()) await s.stop('SIGTERM').catch(() => undefined);
  }
}

async function latency(
  brokers: string,
  topics: Record<string, string>,
  probe: string,
  loadUrn: string,
  onRss: (rss: number) => void,
  pid: number,
): Promise<number[]> {
  const sent: number[] = [];
  const lat: number[] = [];
  const c = await connected(
    new KafkaConsumer(
      { 'metadata.broker.list': brokers, 'group.id': `perf-signals-lat-${Date.now()}`, 'enable.auto.commit': false },
      { 'auto.offset.reset': 'latest' },
    ),
  );
  c.setDefaultConsumeTimeout(100);
  c.subscribe([topics.SF_SIGNALS_TOPIC]);
  await sleep(3000); // the assignment
  const p = await connected(new Producer({ 'metadata.broker.list': brokers, 'linger.ms': 2 }));
  let stop = false;
  const reader = (async () => {
    while (!stop) {
      const batch = await new Promise<Message[]>((res) => c.consume(1000, (e, m) => res(e ? [] : m)));
      const now = Date.now();
      for (const m of batch) {
        if (m.key?.toString() !== probe || !m.value) continue;
        const s = JSON.parse(m.value.toString('utf8')) as SignalSnapshot;
        while (lat.length < s.compliance.fail && lat.length < sent.length) lat.push(now - sent[lat.length]);
      }
    }
  })();
  const raw = `raw.${loadUrn.split(':').pop()}-live`;
  for (let sec = 0; sec < 20; sec++) {
    const at = Date.now();
    for (let i = 0; i < 2000; i++) {
      p.produce(
        topics.SF_EVIDENCE_TOPIC,
        null,
        Buffer.from(JSON.stringify(evidence(loadUrn, raw, i % 8, sec * 2000 + i, false, at))),
        Buffer.from(`${raw}/${i % 8}`),
      );
    }
    p.produce(
      topics.SF_EVIDENCE_TOPIC,
      null,
      Buffer.from(JSON.stringify(evidence(probe, 'raw.probe', 0, sec, true, Date.now()))),
      Buffer.from('raw.probe/0'),
    );
    sent.push(Date.now());
    p.poll();
    onRss(sample(pid).rss);
    await sleep(Math.max(0, 1000 - (Date.now() - at)));
  }
  const deadline = Date.now() + 30_000;
  while (lat.length < sent.length && Date.now() < deadline) await sleep(200);
  stop = true;
  await reader;
  await new Promise<void>((res) => p.disconnect(() => res()));
  await new Promise<void>((res) => c.disconnect(() => res()));
  return lat;
}

export function signalsMarkdown(r: SignalsBenchResult): string {
  const b = r.peakBreakdown;
  const queued = Object.entries(b.queuedMB)
    .map(([c, v]) => `${c} ${v}`)
    .join(' + ');
  return [
    '## Signal Engine (one process)',
    '',
    '| measure | value | goal |',
    '|---|---|---|',
    `| evidence events/s (drain of ${r.events} over ${r.datasets} datasets) | ${r.eventsPerSec} | >= 30000 |`,
    `| consume-only baseline, events/s (same topic) | ${r.baselineEventsPerSec} (engine/baseline ${r.ratioToBaseline}) | |`,
    `| signal latency p50 / p95 (${r.latencyProbes} probes, 2,000/s load) | ${r.latencyP50Ms} / ${r.latencyP95Ms} ms | p95 < 5000 ms |`,
    `| stock-tool limit: kcat -C -e reading the same backlog into /dev/null, events/s | ${r.kcatEventsPerSec} (engine/kcat ${r.ratioToKcat}) | |`,
    `| engine peak RSS (RSS when ready) | ${r.peakRssMB} MB (${r.readyRssMB} MB) | bounded by datasets |`,
    `| at the highest sampled RSS (${b.rssMB} MB): V8 heap total / used, external, librdkafka queues, rest | ${b.heapTotalMB} / ${b.heapUsedMB}, ${b.externalMB}, ${queued}, ${b.restMB} MB | |`,
    `| engine CPU during the drain | ${r.engineCpuSec} s | |`,
    '',
  ].join('\n');
}

const isMain = process.argv[1]?.endsWith('/perf/signals.js');
if (isMain) {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '200000' }, datasets: { type: 'string', default: '50' } },
  });
  const brokers = process.env.SF_KAFKA_BROKERS;
  if (!brokers || !process.env.SF_AUTH_JWT_SECRET) {
    process.stderr.write('perf/signals needs the local stack: scripts/stack up && . .stack/env\n');
    process.exit(2);
  }
  const log = (m: string) => process.stderr.write(`[perf] ${m}\n`);
  runSignalsBench({ brokers, events: Number(values.events), datasets: Number(values.datasets), log }).then(
    (r) => {
      process.stdout.write(`${signalsMarkdown(r)}\n${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
