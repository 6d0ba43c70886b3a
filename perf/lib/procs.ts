/**
 * The processes under test and what we sample from them: the enforcer (the shipped
 * `signal-factory enforcer`, through src/dev/services.ts) and the passthrough baseline
 * (dist/perf/baseline.js), both real child processes; RSS and CPU per thread from /proc,
 * event-loop delay from their /metrics.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort, REPO_ROOT, type Service, startService, waitReady } from '../../src/dev/services.js';
import { javaPassthroughCommand } from './limit.js';

/** baseline: perf/baseline.ts; limit: the stock Java client passthrough (perf/lib/limit.ts). */
export type Kind = 'baseline' | 'enforcer' | 'limit';

const BASELINE_JS = join(dirname(fileURLToPath(import.meta.url)), '..', 'baseline.js');

/** Every process started by the suite, so a failure or ^C still stops them all. */
const live = new Set<Service>();

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop('SIGKILL').catch(() => undefined)));
  live.clear();
}

/**
 * V8 flags of the Node processes under test, as deployed: the chart runs the enforcer with
 * NODE_OPTIONS=--max-old-space-size=<enforcer.maxOldSpaceMb> (k8s/signal-factory/values.yaml,
 * 768). V8 sizes its heap and GC triggers from that limit; without it they follow the host's RAM
 * (4 GB of old space on this 24 GB machine), and the enforcer's peak RSS is ~60-100 MB higher
 * (perf/README.md, "Peak RSS"). PERF_NODE_OPTIONS overrides it ('' = none).
 */
export const PERF_NODE_OPTIONS = process.env.PERF_NODE_OPTIONS ?? '--max-old-space-size=768';

export async function startProcess(
  kind: Kind,
  name: string,
  env: Record<string, string>,
  logDir: string,
  /** Node flags for the enforcer or the baseline (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs: string[] = [],
): Promise<Service> {
  const port = await freePort();
  const fullEnv = {
    SF_ENFORCER_HTTP_PORT: String(port),
    SF_ENFORCER_OFFSET_RESET: 'earliest',
    ...(kind === 'limit' ? {} : { NODE_OPTIONS: PERF_NODE_OPTIONS }),
    ...env,
  };
  let svc: Service;
  if (kind === 'enforcer' && nodeArgs.length === 0) {
    svc = await startService({
      name,
      command: 'enforcer',
      env: fullEnv,
      port,
      logDir,
      readyTimeoutMs: 90_000,
    });
  } else {
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${name}.log`);
    const out = createWriteStream(logFile, { flags: 'a' });
    const java = kind === 'limit' ? javaPassthroughCommand() : undefined;
    const args = java
      ? java.args
      : kind === 'enforcer'
        ? [...nodeArgs, join(REPO_ROOT, 'bin', 'signal-factory.js'), 'enforcer']
        : [...nodeArgs, BASELINE_JS];
    const child = spawn(java?.cmd ?? process.execPath, args, {
      env: { ...process.env, ...fullEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    };
    svc = { name, url: `http://127.0.0.1:${port}`, child, logFile, stop };
    try {
      // The Java passthrough serves no HTTP: its rate is measured from evidence timestamps.
      if (kind !== 'limit') await waitReady(`${svc.url}/readyz`, 90_000, child);
    } catch (e) {
      await stop('SIGKILL');
      throw new Error(`${name} did not become ready (${(e as Error).message}); see ${logFile}`);
    }
  }
  live.add(svc);
  const stop = svc.stop;
  svc.stop = async (signal) => {
    live.delete(svc);
    return stop(signal);
  };
  return svc;
}

const TICK = 100; // USER_HZ on Linux

export interface ProcSample {
  /** Current and peak (VmHWM) resident set, bytes. */
  rss: number;
  hwm: number;
  /** CPU seconds: all threads, the main (JS) thread, librdkafka's threads, the rest (gate workers, GC, libuv). */
  cpu: number;
  main: number;
  rdkafka: number;
  other: number;
  /** CPU seconds per thread name (comm: the main thread, rdk:*, V8 helpers, libuv, workers). */
  byThread: Record<string, number>;
}

function statCpu(path: string): number {
  const s = readFileSync(path, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) of proc(5); f[0] is field 3.
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** CPU and memory of a live process from /proc (Linux). */
export function sample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  let main = 0;
  let rdkafka = 0;
  let other = 0;
  const byThread: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const cpu = statCpu(`/proc/${pid}/task/${tid}/stat`);
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      // Node names none of its threads: keep them apart by id (the busiest is the gate worker).
      const name = tid === String(pid) ? 'main' : comm === 'node' ? `node:${tid}` : comm;
      byThread[name] = (byThread[name] ?? 0) + cpu;
      if (tid === String(pid)) main += cpu;
      else if (comm.startsWith('rdk:')) rdkafka += cpu;
      else other += cpu;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  // Threads that ended are only in the process total.
  const cpu = statCpu(`/proc/${pid}/stat`);
  return {
    rss: kb('VmRSS'),
    hwm: kb('VmHWM'),
    cpu,
    main,
    rdkafka,
    other: Math.max(other, cpu - main - rdkafka),
    byThread,
  };
}

export function delta(a: ProcSample, b: ProcSample): ProcSample {
  return {
    rss: b.rss,
    hwm: b.hwm,
    cpu: b.cpu - a.cpu,
    main: b.main - a.main,
    rdkafka: b.rdkafka - a.rdkafka,
    other: b.other - a.other,
    byThread: Object.fromEntries(
      Object.entries(b.byThread).map(([k, v]) => [k, Math.round((v - (a.byThread[k] ?? 0)) * 100) / 100]),
    ),
  };
}

/** A Prometheus text exposition as name{labels} -> value (labels kept verbatim). */
export async function scrape(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await request(`${url}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const text = await res.body.text();
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  } catch {
    // a process that is overloaded or gone: report what we have
  }
  return out;
}

export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Event-loop delay beyond the 20 ms sampling timer since the previous scrape (prom-client resets per scrape). */
export async function loopDelay(url: string): Promise<LoopDelay> {
  const m = await scrape(url);
  // Both processes sample with a 20 ms timer and the histogram includes that period: report the excess.
  const ms = (k: string) => Math.max(0, Math.round(((m.get(k) ?? Number.NaN) - 0.02) * 1e4) / 10);
  return {
    p99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    maxMs: ms('nodejs_eventloop_lag_max_seconds'),
    meanMs: ms('nodejs_eventloop_lag_mean_seconds'),
  };
}
