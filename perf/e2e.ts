/**
 * End-to-end scenarios on the real local stack (scripts/stack up; . .stack/env). Every
 * scenario runs the enforcer beside the passthrough baseline (perf/baseline.ts) in the same
 * run, on the same generated records, with unique topics that are deleted afterwards.
 *
 * - drain: a pre-loaded backlog; records/s = distinct raw records with evidence / (last
 *   evidence broker time - first evidence broker time); ratio enforcer / baseline.
 * - latency: fixed rates; evidence broker time - raw broker time (both LogAppendTime), and
 *   completeness = distinct raw offsets with evidence / produced.
 * - scaling (full mode): SF_WORKERS 1..N, and 2 enforcer processes in one group.
 * - resources: peak RSS (VmHWM), CPU seconds per 100k records split main thread / librdkafka
 *   threads / the rest (gate workers, GC), event-loop delay from /metrics.
 *
 * Used by perf/run.ts; `node dist/perf/e2e.js --quick|--full` runs it alone and prints JSON.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Admin, withAdmin } from '../src/common/kafka-admin.js';
import { fromStart, type Marks } from '../src/dev/evidence-reader.js';
import { ordersExample } from '../src/dev/examples.js';
import { api, devToken, freePort, REPO_ROOT, type Service, startService } from '../src/dev/services.js';
import { kcatPipe } from './lib/limit.js';
import {
  delta,
  type Kind,
  type LoopDelay,
  loopDelay,
  type ProcSample,
  sample,
  startProcess,
  stopAll,
} from './lib/procs.js';
import { scanEvidence } from './lib/scan.js';
import { createPerfTopics, LoadProducer } from './load.js';

export const PARTITIONS = 12;

export interface E2EOptions {
  mode: 'quick' | 'full';
  brokers: string;
  seed: number;
  drainRecords: number;
  drainRounds: number;
  latencySeconds: number;
  /** Fixed rates; 80% (and in full mode 100%) of the enforcer's drain rate are added. */
  latencyRates: number[];
  latencyAtDrainRate: boolean;
  scaling: boolean;
  scalingRecords: number;
  maxWorkers: number;
  /** Only the drain scenario (and the profile): for iterating on the hot loop. */
  drainOnly?: boolean;
  /** Profile the baseline and the enforcer (node --cpu-prof), each on an extra drain, into subfolders of this one. */
  profileDir?: string;
  profileRecords: number;
  log: (msg: string) => void;
}

export function defaultOptions(mode: 'quick' | 'full', brokers: string, log: (m: string) => void): E2EOptions {
  const full = mode === 'full';
  return {
    mode,
    brokers,
    seed: 42,
    drainRecords: full ? 1_000_000 : 100_000,
    drainRounds: full ? 2 : 1,
    latencySeconds: full ? 60 : 12,
    latencyRates: [5000, 20000],
    latencyAtDrainRate: full,
    scaling: full,
    scalingRecords: 300_000,
    maxWorkers: 3,
    profileRecords: 200_000,
    log,
  };
}

export interface DrainRun {
  label: string;
  kind: Kind;
  workers: number | null;
  processes: number;
  records: number;
  distinct: number;
  missing: number;
  duplicates: number;
  /** Drained (committed to the end) before the timeout. */
  drained: boolean;
  /** First to last evidence broker timestamp. */
  spanSeconds: number;
  rate: number;
  /** Ready to committed-to-the-end, includes joining the group. */
  wallSeconds: number;
  cpuPer100k: { total: number; main: number; rdkafka: number; other: number };
  peakRssMB: number;
  loop: LoopDelay;
  /** CPU s per 100k records by thread name, summed over processes (where the time outside the gates goes). */
  threads: Record<string, number>;
}

export interface LatencyPhase {
  kind: Kind;
  label: string;
  targetRate: number;
  achievedRate: number;
  produced: number;
  seconds: number;
  drained: boolean;
  catchUpSeconds: number;
  completeness: number;
  missing: number;
  duplicates: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** p95 per 5 s window of the phase (ms). */
  timeline: number[];
  peakRssMB: number;
  cpuPer100k: number;
  loop: LoopDelay;
}

export interface E2EResult {
  runId: string;
  drain: {
    records: number;
    loadRate: number;
    /** ratio: enforcer / baseline; vsLimit: each process / the stock Java passthrough of the round. */
    rounds: Array<{
      /** null when the Java limit could not run (no JDK): reported under Problems. */
      limit: DrainRun | null;
      baseline: DrainRun;
      enforcer: DrainRun;
      ratio: number;
      vsLimit: { baseline: number; enforcer: number };
    }>;
    /** kcat -C | kcat -P on the same backlog (no commit): an upper bound. */
    kcat?: KcatDrain;
  };
  /** Enforcer / baseline (medians over rounds). */
  drainRatio: number;
  /** Enforcer / stock passthrough limit, and baseline / limit (medians over rounds). */
  enforcerVsLimit: number;
  baselineVsLimit: number;
  enforcerDrainRate: number;
  baselineDrainRate: number;
  limitDrainRate: number;
  latency: LatencyPhase[];
  scaling: DrainRun[];
  /** One profiled drain per process kind: the baseline's shows what the client library costs alone. */
  profiles: ProfileSummary[];
  errors: string[];
  /** Raw offsets committed without evidence: a correctness break, the run fails. */
  brokenEvidence: number;
}

export interface KcatDrain {
  records: number;
  seconds: number;
  rate: number;
  cpuPer100k: number;
  error?: string;
}

export interface ProfileSummary {
  kind: Kind;
  dir: string;
  /** The profiled drain itself (rate, CPU by thread: the profiler's own cost included). */
  run?: DrainRun;
  threads: Array<{ file: string; thread: string; sampledMs: number; top: Array<{ fn: string; selfPct: number }> }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) >> 1]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/** CPU s per 100k records by thread name (rdk:* threads and numbered names folded), largest first. */
function perThread(d: ProcSample[], records: number, kind: Kind): Record<string, number> {
  const sum = new Map<string, number>();
  for (const s of d) {
    // Node threads are unnamed: the busiest is the gate worker (hypothesis, true when it runs
    // the gates), the rest V8's platform threads (GC, compiler) and libuv.
    const nodes = Object.entries(s.byThread).filter(([k]) => k.startsWith('node:'));
    const busiest = nodes.reduce((m, e) => (e[1] > m[1] ? e : m), ['', -1] as [string, number])[0];
    for (const [name, cpu] of Object.entries(s.byThread)) {
      const k = name.startsWith('rdk:')
        ? 'rdk:*'
        : name.startsWith('node:')
          ? name === busiest && kind === 'enforcer'
            ? 'busiest node thread (gate worker)'
            : 'other node threads (V8 GC/compiler, libuv)'
          : name.replace(/\d+$/, '#');
      sum.set(k, (sum.get(k) ?? 0) + cpu);
    }
  }
  const per100k = (x: number) => Math.round((x / Math.max(1, records)) * 1e5 * 100) / 100;
  return Object.fromEntries(
    [...sum]
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, per100k(v)]),
  );
}
const mb = (b: number) => Math.round(b / 1048576);

export class Ctx {
  readonly topics = new Set<string>();
  readonly prefix: string;
  cpUrl = '';
  constructor(
    readonly opts: E2EOptions,
    readonly admin: Admin,
    readonly runId: string,
    readonly logDir: string,
  ) {
    this.prefix = `perf-${runId}`;
  }

  async create(...names: string[]): Promise<void> {
    await createPerfTopics(this.opts.brokers, names, PARTITIONS);
    for (const n of names) this.topics.add(n);
  }

  async drop(...names: string[]): Promise<void> {
    const mine = names.filter((n) => this.topics.has(n));
    if (mine.length === 0) return;
    try {
      await this.admin.deleteTopics({ topics: mine, timeout: 30_000 });
    } catch (e) {
      this.opts.log(`  (delete ${mine.join(',')} failed: ${(e as Error).message})`);
    }
    for (const n of mine) this.topics.delete(n);
  }

  async highs(topic: string): Promise<Marks> {
    const res = await this.admin.fetchTopicOffsets(topic);
    return res
      .map((p: { partition: number; high: string }) => ({ partition: p.partition, offset: Number(p.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Polls the group's commits until they reach `target` on every partition. */
  async waitCommitted(
    group: string,
    topic: string,
    target: Marks,
    timeoutMs: number,
    tick?: () => void,
  ): Promise<{ ok: boolean; ms: number }> {
    const t0 = Date.now();
    for (;;) {
      tick?.();
      try {
        const res = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
        const got = new Map(
          (res[0]?.partitions ?? []).map((p: { partition: number; offset: string }) => [p.partition, Number(p.offset)]),
        );
        if (target.every((m) => m.offset === 0 || (got.get(m.partition) ?? -1) >= m.offset))
          return { ok: true, ms: Date.now() - t0 };
      } catch {
        // coordinator busy: ask again
      }
      if (Date.now() - t0 > timeoutMs) return { ok: false, ms: Date.now() - t0 };
      await sleep(250);
    }
  }

  env(raw: string, group: string, evidence: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      SF_KAFKA_BROKERS: this.opts.brokers,
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: group,
      SF_EVIDENCE_TOPIC: evidence,
      SF_CONTROL_PLANE_URL: this.cpUrl,
      // Actions off: gates all on, evidence only (S3 on moto would measure moto).
      SF_QUARANTINE_URI: '',
      ...extra,
    };
  }
}

export async function startControlPlane(ctx: Ctx): Promise<Service> {
  const secret = process.env.SF_AUTH_JWT_SECRET;
  if (!secret) throw new Error('SF_AUTH_JWT_SECRET is not set: run `. .stack/env` first');
  const port = await freePort();
  const dir = join(tmpdir(), `sf-perf-cp-${ctx.runId}`);
  mkdirSync(dir, { recursive: true });
  const cp = await startService({
    name: `perf-control-plane-${port}`,
    command: 'control-plane',
    env: { SF_HTTP_PORT: String(port), SF_POLICY_STORE: `sqlite:${join(dir, 'cp.db')}`, SF_EVIDENCE_INDEX: 'off' },
    port,
    logDir: ctx.logDir,
  });
  const token = await devToken({ sub: 'perf-admin', roles: ['admin'] }, secret);
  const urn = `urn:dp:orders:perf-${ctx.runId}`;
  const contractId = `dc:perf-${ctx.runId}:3`;
  const put = async (path: string, body: unknown) => {
    const res = await api(cp.url, token, 'PUT', path, body);
    if (res.status >= 300) throw new Error(`PUT ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
  };
  await put(`/v1/contracts/${contractId}`, { ...ordersExample.contract(), contract_id: contractId });
  await put(`/v1/datasets/${urn}/policy`, {
    ...ordersExample.policy(),
    dataset_urn: urn,
    contract_id: contractId,
    enforcement_mode: 'ALERT_ONLY',
  });
  await put(`/v1/datasets/${urn}/resolution`, {
    rules: [
      {
        source_type: 'TOPIC_PATTERN',
        source_value: `${ctx.prefix.replace(/[.-]/g, (c) => `\\${c}`)}\\.raw\\..*`,
        dataset_urn: urn,
        resolution_confidence: 'HIGH',
      },
    ],
  });
  ctx.cpUrl = cp.url;
  return cp;
}

/** One drain of `raw` (already loaded) by `processes` processes of `kind` in a fresh group. */
export async function drainOne(
  ctx: Ctx,
  kind: Kind,
  raw: string,
  label: string,
  opts: { workers?: number; processes?: number; profileDir?: string; env?: Record<string, string> } = {},
): Promise<DrainRun> {
  const n = opts.processes ?? 1;
  const evidence = `${ctx.prefix}.evidence.${label}`;
  const group = `${ctx.prefix}-${label}`;
  await ctx.create(evidence);
  const highs = await ctx.highs(raw);
  const records = highs.reduce((s, m) => s + m.offset, 0);
  const extra: Record<string, string> = { ...opts.env };
  if (opts.workers) extra.SF_WORKERS = String(opts.workers);
  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  ctx.opts.log(`  ${label}: ${kind} x${n}${opts.workers ? ` SF_WORKERS=${opts.workers}` : ''}, ${records} records`);
  const procs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      startProcess(kind, `${ctx.prefix}-${label}-${i}`, ctx.env(raw, group, evidence, extra), ctx.logDir, nodeArgs),
    ),
  );
  let drained = false;
  let s0: ProcSample[] = [];
  let s1: ProcSample[] = [];
  let loops: LoopDelay[] = [];
  let wallMs = 0;
  try {
    s0 = procs.map((p) => sample(p.child.pid!));
    await Promise.all(procs.map((p) => loopDelay(p.url)));
    const w = await ctx.waitCommitted(group, raw, highs, Math.max(180_000, records / 1.5));
    drained = w.ok;
    wallMs = w.ms;
    s1 = procs.map((p) => sample(p.child.pid!));
    loops = await Promise.all(procs.map((p) => loopDelay(p.url)));
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
  }
  const cov = await scanEvidence({
    brokers: ctx.opts.brokers,
    evidenceTopic: evidence,
    from: fromStart(PARTITIONS),
    rawTopic: raw,
    rawFrom: fromStart(PARTITIONS),
    rawTo: highs,
    latency: false,
  });
  await ctx.drop(evidence);
  const d = s0.map((a, i) => delta(a, s1[i]));
  const sum = (k: 'cpu' | 'main' | 'rdkafka' | 'other') => d.reduce((s, x) => s + x[k], 0);
  const per100k = (x: number) => r1((x / Math.max(1, records)) * 1e5);
  const spanSeconds = (cov.lastTs - cov.firstTs) / 1000;
  const run: DrainRun = {
    label,
    kind,
    workers: kind === 'enforcer' ? (opts.workers ?? null) : null,
    processes: n,
    records,
    distinct: cov.distinct,
    missing: cov.missing,
    duplicates: cov.duplicates,
    drained,
    spanSeconds: r1(spanSeconds),
    rate: Math.round(cov.distinct / Math.max(0.001, spanSeconds)),
    wallSeconds: r1(wallMs / 1000),
    cpuPer100k: {
      total: per100k(sum('cpu')),
      main: per100k(sum('main')),
      rdkafka: per100k(sum('rdkafka')),
      other: per100k(sum('other')),
    },
    peakRssMB: Math.max(0, ...d.map((x) => mb(x.hwm))),
    threads: perThread(d, records, kind),
    loop: {
      p99Ms: Math.max(...loops.map((l) => l.p99Ms)),
      maxMs: Math.max(...loops.map((l) => l.maxMs)),
      meanMs: Math.max(...loops.map((l) => l.meanMs)),
    },
  };
  ctx.opts.log(
    `    ${run.rate} rec/s over ${run.spanSeconds} s, missing ${run.missing}, dup ${run.duplicates}, ` +
      `CPU ${run.cpuPer100k.total} s/100k (main ${run.cpuPer100k.main}), peak RSS ${run.peakRssMB} MB, loop p99 ${run.loop.p99Ms} ms`,
  );
  return run;
}

/**
 * The Java limit's drain; a machine without a JDK (javac) or Kafka's jars reports the limit as
 * missing (a Problems line, ratios n/a) instead of breaking the run.
 */
async function drainLimit(ctx: Ctx, raw: string, label: string, errors: string[]): Promise<DrainRun | null> {
  try {
    return await drainOne(ctx, 'limit', raw, label);
  } catch (e) {
    errors.push(`limit ${label}: ${(e as Error).message}`);
    ctx.opts.log(`  ${label} failed: ${(e as Error).message}`);
    return null;
  }
}

/** The no-commit upper bound: kcat's consumer piped into kcat's producer, wall time to the end. */
async function drainKcat(ctx: Ctx, raw: string): Promise<KcatDrain> {
  const evidence = `${ctx.prefix}.evidence.kcat`;
  await ctx.create(evidence);
  const records = (await ctx.highs(raw)).reduce((s, m) => s + m.offset, 0);
  ctx.opts.log(`  kcat: kcat -C | kcat -P, ${records} records`);
  try {
    const k = await kcatPipe(ctx.opts.brokers, raw, evidence);
    const copied = (await ctx.highs(evidence)).reduce((s, m) => s + m.offset, 0);
    const run = {
      records: copied,
      seconds: r1(k.seconds),
      rate: Math.round(copied / Math.max(0.001, k.seconds)),
      cpuPer100k: r1((k.cpu / Math.max(1, copied)) * 1e5),
    };
    ctx.opts.log(`    ${run.rate} rec/s (${copied} copied in ${run.seconds} s, wall), CPU ${run.cpuPer100k} s/100k`);
    return run;
  } catch (e) {
    return { records, seconds: 0, rate: Number.NaN, cpuPer100k: Number.NaN, error: (e as Error).message };
  } finally {
    await ctx.drop(evidence);
  }
}

export async function latencyRun(
  ctx: Ctx,
  kind: Kind,
  rates: Array<{ label: string; rate: number }>,
  env: Record<string, string> = {},
  /** Names the topics and the group: several runs of one kind in one context need different tags. */
  tag: string = kind,
): Promise<LatencyPhase[]> {
  const { opts } = ctx;
  const raw = `${ctx.prefix}.raw.lat-${tag}`;
  const evidence = `${ctx.prefix}.evidence.lat-${tag}`;
  const group = `${ctx.prefix}-lat-${tag}`;
  await ctx.create(raw, evidence);
  const proc = await startProcess(kind, `${ctx.prefix}-lat-${tag}`, ctx.env(raw, group, evidence, env), ctx.logDir);
  const load = new LoadProducer(opts.brokers, raw, opts.seed);
  const out: LatencyPhase[] = [];
  try {
    await load.connect();
    // Warm-up: the group joins, JIT and the pool warm, before any measured record.
    let next = (await load.backlog(10_000, 50_000_000)).next;
    await ctx.waitCommitted(group, raw, await ctx.highs(raw), 60_000);
    for (const { label, rate } of rates) {
      const rawFrom = await ctx.highs(raw);
      const evFrom = await ctx.highs(evidence);
      const pid = proc.child.pid!;
      const s0 = sample(pid);
      await loopDelay(proc.url);
      let peak = s0.rss;
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, sample(pid).rss);
        } catch {
          // gone
        }
      }, 500);
      let st: Awaited<ReturnType<LoadProducer['atRate']>>;
      let w: { ok: boolean; ms: number };
      let s1: ProcSample;
      let loop: LoopDelay;
      try {
        st = await load.atRate(rate, opts.latencySeconds, next);
        next = st.next;
        const rawTo = await ctx.highs(raw);
        w = await ctx.waitCommitted(group, raw, rawTo, Math.max(30_000, opts.latencySeconds * 2000));
        s1 = sample(pid);
        loop = await loopDelay(proc.url);
      } finally {
        clearInterval(sampler);
      }
      const rawTo = await ctx.highs(raw);
      const cov = await scanEvidence({
        brokers: opts.brokers,
        evidenceTopic: evidence,
        from: evFrom,
        rawTopic: raw,
        rawFrom,
        rawTo,
        latency: true,
      });
      const l = cov.latency;
      const phase: LatencyPhase = {
        kind,
        label,
        targetRate: rate,
        achievedRate: Math.round(st.rate),
        produced: cov.expected,
        seconds: r1(st.seconds),
        drained: w.ok,
        catchUpSeconds: r1(w.ms / 1000),
        completeness: cov.expected ? cov.distinct / cov.expected : 0,
        missing: cov.missing,
        duplicates: cov.duplicates,
        p50: l?.p50 ?? Number.NaN,
        p95: l?.p95 ?? Number.NaN,
        p99: l?.p99 ?? Number.NaN,
        max: l?.max ?? Number.NaN,
        timeline: cov.timeline,
        peakRssMB: mb(Math.max(peak, s1.rss)),
        cpuPer100k: r1(((s1.cpu - s0.cpu) / Math.max(1, cov.expected)) * 1e5),
        loop,
      };
      opts.log(
        `  ${kind} @ ${label} (${rate}/s): achieved ${phase.achievedRate}/s, p50 ${phase.p50} p95 ${phase.p95} p99 ${phase.p99} ms, ` +
          `complete ${(phase.completeness * 100).toFixed(3)}%, catch-up ${phase.catchUpSeconds} s, RSS ${phase.peakRssMB} MB, ` +
          `p95 per 5 s [${phase.timeline.join(' ')}]`,
      );
      out.push(phase);
    }
  } finally {
    await proc.stop('SIGTERM');
    await load.close();
    await ctx.drop(raw, evidence);
  }
  return out;
}

/** Self time per function of each .cpuprofile in `dir` (main thread and gate workers). */
export function summariseProfiles(kind: Kind, dir: string): ProfileSummary {
  const threads: ProfileSummary['threads'] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    prof.samples.forEach((id, i) => {
      const dt = prof.timeDeltas[i] ?? 0;
      const cf = byId.get(id)?.callFrame;
      const url = cf?.url ? cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/') : '';
      const key = `${cf?.functionName || '(anonymous)'}${url ? ` ${url}:${(cf?.lineNumber ?? 0) + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
    const idle = self.get('(idle)') ?? 0;
    const busy = Math.max(1, total - idle);
    const top = [...self]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([fn, us]) => ({ fn, selfPct: r1((us / busy) * 100) }));
    // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the main thread.
    const threadId = file.split('.')[4];
    threads.push({
      file,
      thread: threadId === '0' ? 'main' : `worker ${threadId}`,
      sampledMs: Math.round(busy / 1000),
      top,
    });
  }
  return { kind, dir, threads };
}

export async function runE2E(opts: E2EOptions, logDir: string): Promise<E2EResult> {
  const runId = Date.now().toString(36);
  const result: E2EResult = {
    runId,
    drain: { records: 0, loadRate: 0, rounds: [] },
    drainRatio: Number.NaN,
    enforcerVsLimit: Number.NaN,
    baselineVsLimit: Number.NaN,
    enforcerDrainRate: Number.NaN,
    baselineDrainRate: Number.NaN,
    limitDrainRate: Number.NaN,
    latency: [],
    scaling: [],
    profiles: [],
    errors: [],
    brokenEvidence: 0,
  };
  const check = (r: DrainRun | LatencyPhase) => {
    // Drained means committed to the end: any record without evidence is a committed gap.
    if (r.drained && r.missing > 0) {
      result.brokenEvidence += r.missing;
      result.errors.push(`${r.kind} ${r.label}: ${r.missing} committed records without evidence`);
    } else if (!r.drained) {
      result.errors.push(`${r.kind} ${r.label}: did not drain before the timeout (${r.missing} without evidence yet)`);
    }
  };
  await withAdmin(opts.brokers, async (admin) => {
    const ctx = new Ctx(opts, admin, runId, logDir);
    let cp: Service | undefined;
    const onSignal = () => {
      void stopAll().then(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    try {
      cp = await startControlPlane(ctx);
      opts.log(`control plane ${ctx.cpUrl}; topics ${ctx.prefix}.*`);

      // --- drain ---
      const raw = `${ctx.prefix}.raw.drain`;
      await ctx.create(raw);
      const load = new LoadProducer(opts.brokers, raw, opts.seed);
      await load.connect();
      const ls = await load.backlog(opts.drainRecords);
      await load.close();
      result.drain.records = opts.drainRecords;
      result.drain.loadRate = Math.round(ls.rate);
      opts.log(
        `drain: loaded ${opts.drainRecords} records (${mb(ls.bytes)} MB) at ${Math.round(ls.rate)}/s into ${PARTITIONS} partitions`,
      );
      const r3 = (x: number) => Math.round(x * 1000) / 1000;
      for (let i = 0; i < opts.drainRounds; i++) {
        const limit = await drainLimit(ctx, raw, `drain-limit-${i}`, result.errors);
        if (i === 0) result.drain.kcat = await drainKcat(ctx, raw);
        const baseline = await drainOne(ctx, 'baseline', raw, `drain-baseline-${i}`);
        const enforcer = await drainOne(ctx, 'enforcer', raw, `drain-enforcer-${i}`);
        if (limit) check(limit);
        check(baseline);
        check(enforcer);
        result.drain.rounds.push({
          limit,
          baseline,
          enforcer,
          ratio: r3(enforcer.rate / baseline.rate),
          vsLimit: {
            baseline: limit ? r3(baseline.rate / limit.rate) : Number.NaN,
            enforcer: limit ? r3(enforcer.rate / limit.rate) : Number.NaN,
          },
        });
      }
      const rounds = result.drain.rounds;
      result.drainRatio = median(rounds.map((r) => r.ratio));
      result.enforcerVsLimit = median(rounds.map((r) => r.vsLimit.enforcer));
      result.baselineVsLimit = median(rounds.map((r) => r.vsLimit.baseline));
      result.enforcerDrainRate = median(rounds.map((r) => r.enforcer.rate));
      result.baselineDrainRate = median(rounds.map((r) => r.baseline.rate));
      result.limitDrainRate = median(rounds.map((r) => r.limit?.rate ?? Number.NaN));
      opts.log(
        `drain: limit ${result.limitDrainRate}/s, enforcer ${result.enforcerDrainRate}/s (${result.enforcerVsLimit} of the limit), ` +
          `baseline ${result.baselineDrainRate}/s (${result.baselineVsLimit}), enforcer/baseline ${result.drainRatio}`,
      );
      // --- latency ---
      const rates = opts.latencyRates.map((r) => ({ label: `${r / 1000}k/s`, rate: r }));
      if (Number.isFinite(result.enforcerDrainRate) && result.enforcerDrainRate > 0) {
        rates.push({ label: '80% drain', rate: Math.round(result.enforcerDrainRate * 0.8) });
        if (opts.latencyAtDrainRate) rates.push({ label: '100% drain', rate: Math.round(result.enforcerDrainRate) });
      }
      if (!opts.drainOnly)
        opts.log(`latency: ${rates.map((r) => `${r.label}=${r.rate}/s`).join(', ')} for ${opts.latencySeconds} s each`);
      for (const kind of opts.drainOnly ? [] : (['baseline', 'enforcer'] as const)) {
        for (const p of await latencyRun(ctx, kind, rates)) {
          check(p);
          result.latency.push(p);
        }
      }

      // --- scaling ---
      if (opts.scaling && !opts.drainOnly) {
        const sraw = `${ctx.prefix}.raw.scale`;
        await ctx.create(sraw);
        const sl = new LoadProducer(opts.brokers, sraw, opts.seed);
        await sl.connect();
        await sl.backlog(opts.scalingRecords);
        await sl.close();
        opts.log(`scaling: ${opts.scalingRecords} records`);
        const scaleLimit = await drainLimit(ctx, sraw, 'scale-limit', result.errors);
        const runs: DrainRun[] = [
          ...(scaleLimit ? [scaleLimit] : []),
          await drainOne(ctx, 'baseline', sraw, 'scale-baseline'),
        ];
        for (let w = 1; w <= opts.maxWorkers; w++)
          runs.push(await drainOne(ctx, 'enforcer', sraw, `scale-w${w}`, { workers: w }));
        runs.push(await drainOne(ctx, 'enforcer', sraw, 'scale-2proc-w1', { workers: 1, processes: 2 }));
        for (const r of runs) check(r);
        result.scaling = runs;
      }

      // --- profiles (last, so a failure here costs no figure) ---
      if (opts.profileDir) {
        const praw = opts.scaling && !opts.drainOnly ? `${ctx.prefix}.raw.scale` : raw;
        for (const kind of ['baseline', 'enforcer'] as const) {
          try {
            const dir = join(opts.profileDir, kind);
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir, { recursive: true });
            opts.log(`profile: ${kind} under node --cpu-prof draining ${praw} -> ${dir}`);
            const run = await drainOne(ctx, kind, praw, `profile-${kind}`, { profileDir: dir });
            await sleep(1000);
            result.profiles.push({ ...summariseProfiles(kind, dir), run });
          } catch (e) {
            result.errors.push(`profile ${kind}: ${(e as Error).message}`);
          }
        }
      }
    } catch (e) {
      result.errors.push(`run failed: ${(e as Error).stack ?? e}`);
      opts.log(`ERROR ${(e as Error).stack ?? e}`);
    } finally {
      process.removeListener('SIGINT', onSignal);
      await stopAll();
      await cp?.stop('SIGTERM').catch(() => undefined);
      await ctx.drop(...ctx.topics);
      rmSync(join(tmpdir(), `sf-perf-cp-${runId}`), { recursive: true, force: true });
    }
  });
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mode = process.argv.includes('--full') ? 'full' : 'quick';
  const brokers = process.env.SF_KAFKA_BROKERS ?? '127.0.0.1:9092';
  const opts = defaultOptions(mode, brokers, (m) => process.stderr.write(`${m}\n`));
  runE2E(opts, join(REPO_ROOT, '.stack', 'logs', 'perf')).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(r.brokenEvidence > 0 || r.errors.some((e) => e.startsWith('run failed')) ? 1 : 0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
