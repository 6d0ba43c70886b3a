/**
 * The performance suite in one command (perf/run wraps it): micro-benchmarks
 * (dist/perf/micro/gates.bench.js when built) and the end-to-end scenarios (perf/e2e.ts)
 * against the local stack; writes perf/results/<timestamp>-<commit>.json and .md, appends a
 * line to perf/results/history.ndjson and prints the table. It reports: absolute numbers
 * never fail it; a broken run (a scenario that throws, committed records without evidence)
 * exits 1.
 *
 *   perf/run [--quick | --full] [--no-micro] [--no-e2e] [--drain-only] [--profile] [--signals] [--out <dir>]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import kafka from '@confluentinc/kafka-javascript';
import { REPO_ROOT } from '../src/dev/services.js';
import { type DrainRun, defaultOptions, type E2EResult, runE2E } from './e2e.js';
import { runSignalsBench, signalsMarkdown } from './signals.js';

interface MicroRow {
  task: string;
  nsPerRecord: number;
  rmePct: string;
  vsAjv: string;
}

interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    'no-micro': { type: 'boolean', default: false },
    'no-e2e': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'drain-only': { type: 'boolean', default: false },
    // Optional step: the Signal Engine benchmark (perf/signals.ts).
    signals: { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO_ROOT, 'perf', 'results') },
  },
});
const mode: 'quick' | 'full' = values.full ? 'full' : 'quick';
const started = new Date();
const t0 = performance.now();
const log = (m: string) =>
  process.stderr.write(`[perf ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${m}\n`);
const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
const commit = git('rev-parse', '--short=12', 'HEAD') || 'unknown';
const dirty = git('status', '--porcelain', '--', 'src', 'perf', 'package-lock.json') !== '';
const cpus = os.cpus();
const machine = {
  hostname: os.hostname(),
  cpuModel: cpus[0]?.model ?? 'unknown',
  cpus: cpus.length,
  availableParallelism: os.availableParallelism(),
  memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  librdkafka: (kafka as unknown as { librdkafkaVersion: string }).librdkafkaVersion,
  loadAvgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  loadAvgEnd: [] as number[],
};
const command = `perf/run --${mode}${values.signals ? ' --signals' : ''}${values.profile ? ' --profile' : ''}${values['no-micro'] ? ' --no-micro' : ''}${values['no-e2e'] ? ' --no-e2e' : ''}${values['drain-only'] ? ' --drain-only' : ''}`;

/** Parses the console.table that gates.bench.js prints. */
function parseTable(text: string): MicroRow[] {
  const rows: MicroRow[] = [];
  let cols: string[] | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('│')) continue;
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim().replace(/^'(.*)'$/, '$1'));
    if (!cols) {
      cols = cells;
      continue;
    }
    const get = (k: string) => cells[cols!.indexOf(k)] ?? '';
    rows.push({ task: get('task'), nsPerRecord: Number(get('ns/record')), rmePct: get('±%'), vsAjv: get('vs ajv') });
  }
  return rows;
}

/** Runs each built micro-benchmark (gates, main thread) and merges their tables. */
function runMicro(): { rows: MicroRow[]; header: string; raw: string; error?: string } | null {
  const benches = ['gates.bench.js', 'main-thread.bench.js']
    .map((f) => join(REPO_ROOT, 'dist', 'perf', 'micro', f))
    .filter((f) => existsSync(f));
  if (benches.length === 0) {
    log('micro: no built micro-benchmarks under dist/perf/micro; skipped');
    return null;
  }
  const out: { rows: MicroRow[]; header: string; raw: string; error?: string } = { rows: [], header: '', raw: '' };
  for (const file of benches) {
    log(`micro: ${file.split('/').pop()}`);
    const res = spawnSync(process.execPath, [file], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, SF_BENCH_MS: mode === 'full' ? '1000' : '250' },
      timeout: 300_000,
    });
    out.raw += `${res.stdout ?? ''}${res.stderr ?? ''}`;
    if (res.status !== 0) {
      out.error = `${file.split('/').pop()} exit ${res.status}`;
      continue;
    }
    out.rows.push(...parseTable(res.stdout));
    out.header += `${out.header ? '; ' : ''}${res.stdout.split('\n')[0] ?? ''}`;
  }
  return out;
}

const fmt = (x: number | null | undefined, d = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: d });

function targets(e2e: E2EResult | null, micro: ReturnType<typeof runMicro>): Target[] {
  const out: Target[] = [];
  const enforcerLat = e2e?.latency.filter((p) => p.kind === 'enforcer') ?? [];
  const at80 = enforcerLat.find((p) => p.label === '80% drain');
  const at100 = enforcerLat.find((p) => p.label === '100% drain');
  if (e2e) {
    out.push({
      name: 'enforcer drain vs the stock Java passthrough limit (all gates on)',
      goal: '>= 0.33',
      measured: `${fmt(e2e.enforcerVsLimit, 3)} (${fmt(e2e.enforcerDrainRate)} vs ${fmt(e2e.limitDrainRate)} rec/s; baseline ${fmt(e2e.baselineVsLimit, 3)})`,
      met: Number.isFinite(e2e.enforcerVsLimit) ? e2e.enforcerVsLimit >= 0.33 : null,
    });
    const cpu = e2e.drain.rounds.map((r) => r.enforcer.cpuPer100k);
    const cpuTotal = cpu.map((c) => c.total).sort((a, b) => a - b)[(cpu.length - 1) >> 1];
    out.push({
      name: 'enforcer process CPU per 100k records (drain)',
      goal: '<= 3.5 s',
      measured: cpu.length
        ? cpu
            .map((c) => `${fmt(c.total, 1)} s (${fmt(c.main, 1)} / ${fmt(c.rdkafka, 1)} / ${fmt(c.other, 1)})`)
            .join(', ')
        : 'n/a',
      met: cpu.length ? cpuTotal <= 3.5 : null,
    });
    out.push({
      name: 'p95 evidence latency at 80% of drain rate',
      goal: '< 250 ms',
      measured: at80 ? `${fmt(at80.p95)} ms @ ${fmt(at80.achievedRate)}/s` : 'n/a',
      met: at80 ? at80.p95 < 250 : null,
    });
    out.push({
      name: 'p95 evidence latency at drain rate',
      goal: '< 2000 ms',
      measured: at100 ? `${fmt(at100.p95)} ms @ ${fmt(at100.achievedRate)}/s` : 'full mode only',
      met: at100 ? at100.p95 < 2000 : null,
    });
    const enforcerRuns: Array<DrainRun | (typeof enforcerLat)[number]> = [
      ...e2e.drain.rounds.map((r) => r.enforcer),
      ...enforcerLat,
      ...e2e.scaling.filter((r) => r.kind === 'enforcer'),
    ];
    const missing = enforcerRuns.reduce((s, r) => s + r.missing, 0);
    out.push({
      name: 'missing evidence, every enforcer scenario',
      goal: '0',
      measured: `${fmt(missing)} of ${fmt(enforcerRuns.reduce((s, r) => s + ('records' in r ? r.records : r.produced), 0))}`,
      met: enforcerRuns.length > 0 ? missing === 0 : null,
    });
    const overload = [...e2e.drain.rounds.map((r) => r.enforcer.peakRssMB), ...(at100 ? [at100.peakRssMB] : [])];
    const peak = Math.max(...overload);
    out.push({
      name: 'enforcer peak RSS under sustained overload (drain backlog)',
      goal: '< 400 MB',
      measured: overload.length ? `${fmt(peak)} MB` : 'n/a',
      met: overload.length ? peak < 400 : null,
    });
  }
  const one = e2e?.scaling.find((r) => r.label === 'scale-w1');
  const two = e2e?.scaling.find((r) => r.label === 'scale-2proc-w1');
  if (one && two)
    out.push({
      name: 'two enforcer processes in one group vs one (1 worker each)',
      goal: '>= 1.8x',
      measured: `${fmt(two.rate / one.rate, 2)}x (${fmt(two.rate)} vs ${fmt(one.rate)} rec/s)`,
      met: two.rate / one.rate >= 1.8,
    });
  const task = micro?.rows.find((r) => r.task.startsWith('worker task per record'));
  out.push({
    name: 'worker pipeline per record (micro, unpack+gates+pack)',
    goal: '<= 10,000 ns',
    measured: task ? `${fmt(task.nsPerRecord)} ns` : 'n/a',
    met: task ? task.nsPerRecord <= 10_000 : null,
  });
  return out;
}

function markdown(r: {
  e2e: E2EResult | null;
  micro: ReturnType<typeof runMicro>;
  targets: Target[];
  durationSec: number;
}): string {
  const L: string[] = [];
  const { e2e, micro } = r;
  L.push(`## Performance: ${mode} mode, ${commit}${dirty ? ' (+ uncommitted changes)' : ''}`);
  L.push('');
  L.push(
    `${started.toISOString()} · \`${command}\` · ${Math.round(r.durationSec)} s · ${machine.cpuModel}, ${machine.cpus} vCPU, ${machine.memGiB} GiB · ${machine.os} · Node ${machine.node} · librdkafka ${machine.librdkafka} · load average ${machine.loadAvgStart.join(' / ')} at start, ${machine.loadAvgEnd.join(' / ')} at end (shared machine)`,
  );
  L.push('');
  L.push('| target | goal | measured | met |', '|---|---|---|---|');
  for (const t of r.targets)
    L.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.met === null ? '-' : t.met ? 'yes' : '**no**'} |`);
  if (e2e) {
    const drainRow = (d: DrainRun, ratio: string, vsLimit: string) =>
      `| ${d.label} | ${d.kind === 'limit' ? 'limit (stock Java passthrough)' : d.kind}${d.processes > 1 ? ` x${d.processes}` : ''} | ${d.workers ?? (d.kind === 'enforcer' ? 'default' : '-')} | ${fmt(d.records)} | **${fmt(d.rate)}** | ${vsLimit} | ${ratio} | ${fmt(d.spanSeconds, 1)} / ${fmt(d.wallSeconds, 1)} | ${fmt(d.cpuPer100k.total, 1)} (${fmt(d.cpuPer100k.main, 1)} / ${fmt(d.cpuPer100k.rdkafka, 1)} / ${fmt(d.cpuPer100k.other, 1)}) | ${fmt(d.peakRssMB)} | ${fmt(d.loop.p99Ms, 1)} / ${fmt(d.loop.maxMs, 1)} | ${fmt(d.missing)} / ${fmt(d.duplicates)} |`;
    const drainHead = [
      '| run | process | SF_WORKERS | records | records/s | vs limit | vs baseline | evidence span / wall s | CPU s per 100k (main / librdkafka / rest) | peak RSS MB | event-loop p99 / max ms | missing / dup |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    L.push('');
    L.push(
      `### Drain: backlog of ${fmt(e2e.drain.records)} records, 12 partitions (loaded at ${fmt(e2e.drain.loadRate)}/s)`,
    );
    L.push('');
    L.push(...drainHead);
    for (const round of e2e.drain.rounds) {
      if (round.limit) L.push(drainRow(round.limit, '-', '1'));
      L.push(drainRow(round.baseline, '1', fmt(round.vsLimit.baseline, 3)));
      L.push(drainRow(round.enforcer, `**${fmt(round.ratio, 3)}**`, `**${fmt(round.vsLimit.enforcer, 3)}**`));
    }
    const k = e2e.drain.kcat;
    if (k) {
      const lim = e2e.limitDrainRate;
      L.push(
        k.error
          ? `| kcat | kcat -C \\| kcat -P (no commit) | - | - | failed: ${k.error.split('\n')[0]} | | | | | | | |`
          : `| kcat | kcat -C \\| kcat -P (no commit, upper bound) | - | ${fmt(k.records)} | **${fmt(k.rate)}** | ${fmt(k.rate / lim, 3)} | - | - / ${fmt(k.seconds, 1)} | ${fmt(k.cpuPer100k, 1)} | - | - | - |`,
      );
    }
    const cpuRows = e2e.drain.rounds.flatMap((r) => [r.limit, r.baseline, r.enforcer].filter((x) => x !== null));
    if (cpuRows.some((r) => r.threads)) {
      L.push('');
      L.push('CPU s per 100k records by thread (drain rounds; `#` folds numbered threads):');
      L.push('');
      for (const r of cpuRows)
        L.push(
          `- ${r.label}: ${Object.entries(r.threads ?? {})
            .slice(0, 10)
            .map(([k, v]) => `${k} ${fmt(v, 2)}`)
            .join(', ')}`,
        );
    }
    if (e2e.latency.length) {
      L.push('');
      L.push(
        '### Latency: fixed rates; evidence broker time - raw broker time (LogAppendTime), first evidence per record',
      );
      L.push('');
      L.push(
        '| process | rate | target/s | achieved/s | p50 ms | p95 ms | p99 ms | max ms | completeness | catch-up s | peak RSS MB | CPU s/100k | event-loop p99 / max ms | p95 per 5 s window |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      );
      for (const p of e2e.latency)
        L.push(
          `| ${p.kind} | ${p.label} | ${fmt(p.targetRate)} | ${fmt(p.achievedRate)} | ${fmt(p.p50)} | **${fmt(p.p95)}** | ${fmt(p.p99)} | ${fmt(p.max)} | ${(p.completeness * 100).toFixed(3)}% (${fmt(p.missing)} missing) | ${fmt(p.catchUpSeconds, 1)} | ${fmt(p.peakRssMB)} | ${fmt(p.cpuPer100k, 1)} | ${fmt(p.loop.p99Ms, 1)} / ${fmt(p.loop.maxMs, 1)} | ${p.timeline.join(' ')} |`,
        );
    }
    if (e2e.scaling.length) {
      const base = e2e.scaling.find((s) => s.kind === 'baseline');
      const lim = e2e.scaling.find((s) => s.kind === 'limit');
      L.push('');
      L.push(`### Scaling: backlog of ${fmt(e2e.scaling[0].records)} records`);
      L.push('');
      L.push(...drainHead);
      for (const s of e2e.scaling)
        L.push(
          drainRow(
            s,
            s.kind === 'limit' ? '-' : s.kind === 'baseline' || !base ? '1' : `${fmt(s.rate / base.rate, 3)}`,
            lim ? fmt(s.rate / lim.rate, 3) : '-',
          ),
        );
    }
    for (const prof of e2e.profiles) {
      L.push('');
      L.push(
        `### ${prof.kind === 'baseline' ? 'Baseline' : 'Enforcer'} CPU profile (node --cpu-prof, drain), self time`,
      );
      const pr = prof.run;
      if (pr) {
        L.push('');
        L.push(
          `Profiled drain: ${fmt(pr.records)} records at ${fmt(pr.rate)} rec/s (under the profiler), CPU s per 100k records by thread: ` +
            Object.entries(pr.threads)
              .map(([k, v]) => `${k} ${fmt(v, 2)}`)
              .join(', '),
        );
      }
      for (const t of prof.threads) {
        L.push('');
        L.push(`${t.thread} (${fmt(t.sampledMs)} ms busy):`);
        L.push('');
        L.push('| function | self % |', '|---|---|');
        for (const f of t.top.slice(0, 12)) L.push(`| \`${f.fn}\` | ${f.selfPct} |`);
      }
    }
    if (e2e.errors.length) {
      L.push('');
      L.push('### Problems');
      L.push('');
      for (const e of e2e.errors) L.push(`- ${e.split('\n')[0]}`);
    }
  }
  if (micro) {
    L.push('');
    L.push(`### Micro-benchmarks (perf/micro/*.bench.ts, tinybench): ${micro.header}`);
    L.push('');
    if (micro.rows.length) {
      L.push('| task | ns/record | ±% | vs ajv |', '|---|---|---|---|');
      for (const m of micro.rows) L.push(`| ${m.task} | ${fmt(m.nsPerRecord)} | ${m.rmePct} | ${m.vsAjv} |`);
    } else L.push(`micro-benchmark failed (${micro.error}):\n\n\`\`\`\n${micro.raw.slice(0, 2000)}\n\`\`\``);
  }
  L.push('');
  return L.join('\n');
}

async function main(): Promise<number> {
  log(`${command} at ${commit}${dirty ? '+dirty' : ''}; load average ${machine.loadAvgStart.join(' ')}`);
  const brokers = process.env.SF_KAFKA_BROKERS;
  if (!values['no-e2e'] && (!brokers || !process.env.SF_AUTH_JWT_SECRET)) {
    log('the e2e scenarios need the local stack: scripts/stack up && . .stack/env');
    return 1;
  }
  const micro = values['no-micro'] ? null : runMicro();
  if (micro?.rows.length) {
    const t = micro.rows.find((r) => r.task.startsWith('worker task per record'));
    log(`micro: ${micro.rows.length} tasks; worker task ${t?.nsPerRecord ?? 'n/a'} ns/record`);
  }
  let e2e: E2EResult | null = null;
  if (!values['no-e2e']) {
    const opts = defaultOptions(mode, brokers!, log);
    opts.drainOnly = values['drain-only'];
    if (values.profile) opts.profileDir = join(REPO_ROOT, '.stack', 'perf-profile');
    e2e = await runE2E(opts, join(REPO_ROOT, '.stack', 'logs', 'perf'));
  }
  const signals =
    values.signals && brokers
      ? await runSignalsBench({ brokers, events: mode === 'full' ? 500_000 : 200_000, datasets: 50, log })
      : null;
  machine.loadAvgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const durationSec = (performance.now() - t0) / 1000;
  const tg = targets(e2e, micro);
  const broken = (e2e?.brokenEvidence ?? 0) > 0 || (e2e?.errors.some((e) => e.startsWith('run failed')) ?? false);
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const base = join(values.out!, `${stamp}-${commit}${mode === 'quick' ? '-quick' : ''}`);
  mkdirSync(values.out!, { recursive: true });
  const md = markdown({ e2e, micro, targets: tg, durationSec }) + (signals ? `\n${signalsMarkdown(signals)}` : '');
  const json = {
    schema: 1,
    mode,
    command,
    commit,
    dirty,
    date: started.toISOString(),
    durationSec: Math.round(durationSec),
    machine,
    ok: !broken,
    targets: tg,
    micro: micro ? { header: micro.header, rows: micro.rows, error: micro.error } : null,
    e2e,
    signals,
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  appendFileSync(
    join(values.out!, 'history.ndjson'),
    `${JSON.stringify({
      date: json.date,
      command,
      commit,
      dirty,
      mode,
      durationSec: json.durationSec,
      ok: json.ok,
      loadAvg: machine.loadAvgStart[0],
      drainRatio: e2e?.drainRatio ?? null,
      enforcerVsLimit: e2e?.enforcerVsLimit ?? null,
      baselineVsLimit: e2e?.baselineVsLimit ?? null,
      enforcerDrainRate: e2e?.enforcerDrainRate ?? null,
      baselineDrainRate: e2e?.baselineDrainRate ?? null,
      limitDrainRate: e2e?.limitDrainRate ?? null,
      kcatDrainRate: e2e?.drain.kcat?.rate ?? null,
      enforcerCpuPer100k: e2e?.drain.rounds[0]?.enforcer.cpuPer100k.total ?? null,
      p95At80pct: e2e?.latency.find((p) => p.kind === 'enforcer' && p.label === '80% drain')?.p95 ?? null,
      p95AtDrain: e2e?.latency.find((p) => p.kind === 'enforcer' && p.label === '100% drain')?.p95 ?? null,
      enforcerPeakRssMB: e2e ? Math.max(0, ...e2e.drain.rounds.map((r) => r.enforcer.peakRssMB)) : null,
      workerNsPerRecord: micro?.rows.find((r) => r.task.startsWith('worker task per record'))?.nsPerRecord ?? null,
      file: `${base.split('/').pop()}.json`,
    })}\n`,
  );
  process.stdout.write(`${md}\n`);
  log(`wrote ${base}.json and .md; ${Math.round(durationSec)} s${broken ? '; RUN BROKEN (see Problems)' : ''}`);
  return broken ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  },
);
