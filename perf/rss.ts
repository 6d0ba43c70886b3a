/**
 * Peak RSS of the enforcer (or the baseline) in a backlog drain and under overload (issue 14:
 * "< 400 MB at any rate"), for one or more configurations in the same run:
 *
 *   node dist/perf/rss.js [--records 300000] [--seconds 40] [--factor 1.5] [--kind enforcer]
 *                         [--config 'name:K=V,K=V'] ...
 *
 * Per configuration: a drain of the same backlog (records/s, VmHWM), then a fixed-rate load at
 * `factor` x that drain rate for `seconds` (the enforcer cannot keep up: in-flight, prefetch and
 * producer queues are full), peak RSS sampled every 500 ms. With --memlog each process also
 * writes per-thread heap figures (perf/lib/memlog.cjs) to .stack/logs/perf/memlog-<name>.ndjson.
 * Prints one JSON document. Needs the local stack (`. .stack/env`).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { withAdmin } from '../src/common/kafka-admin.js';
import { REPO_ROOT, type Service } from '../src/dev/services.js';
import { Ctx, defaultOptions, drainOne, latencyRun, startControlPlane } from './e2e.js';
import type { Kind } from './lib/procs.js';
import { PERF_NODE_OPTIONS, stopAll } from './lib/procs.js';
import { LoadProducer } from './load.js';

interface Config {
  name: string;
  env: Record<string, string>;
}

function parseConfig(text: string): Config {
  const i = text.indexOf(':');
  const name = i < 0 ? text : text.slice(0, i);
  const env: Record<string, string> = {};
  for (const kv of (i < 0 ? '' : text.slice(i + 1)).split(',').filter(Boolean)) {
    const j = kv.indexOf('=');
    if (j <= 0) throw new Error(`--config ${text}: expected name:K=V,K=V`);
    env[kv.slice(0, j)] = kv.slice(j + 1);
  }
  return { name, env };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '300000' },
      seconds: { type: 'string', default: '40' },
      factor: { type: 'string', default: '1.5' },
      kind: { type: 'string', default: 'enforcer' },
      config: { type: 'string', multiple: true, default: ['default'] },
      memlog: { type: 'boolean', default: false },
    },
  });
  const brokers = process.env.SF_KAFKA_BROKERS;
  if (!brokers) throw new Error('SF_KAFKA_BROKERS is not set: run `. .stack/env` first');
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const opts = defaultOptions('quick', brokers, log);
  opts.latencySeconds = Number(values.seconds);
  const records = Number(values.records);
  const kind = values.kind as Kind;
  const configs = values.config.map(parseConfig);
  const logDir = join(REPO_ROOT, '.stack', 'logs', 'perf');
  const out: unknown[] = [];
  await withAdmin(brokers, async (admin) => {
    const ctx = new Ctx(opts, admin, Date.now().toString(36), logDir);
    let cp: Service | undefined;
    try {
      cp = await startControlPlane(ctx);
      const raw = `${ctx.prefix}.raw.drain`;
      await ctx.create(raw);
      const load = new LoadProducer(brokers, raw, opts.seed);
      await load.connect();
      await load.backlog(records);
      await load.close();
      for (const c of configs) {
        const env = { ...c.env };
        const memlog = (phase: string): Record<string, string> =>
          values.memlog
            ? {
                NODE_OPTIONS:
                  `${env.NODE_OPTIONS ?? PERF_NODE_OPTIONS} --require ${join(REPO_ROOT, 'perf', 'lib', 'memlog.cjs')}`.trim(),
                SF_MEMLOG_FILE: join(logDir, `memlog-${ctx.prefix}-${c.name}-${phase}.ndjson`),
              }
            : {};
        const drain = await drainOne(ctx, kind, raw, `rss-${c.name}`, { env: { ...env, ...memlog('drain') } });
        const rate = Math.round(drain.rate * Number(values.factor));
        const [over] = await latencyRun(
          ctx,
          kind,
          [{ label: `${values.factor}x drain`, rate }],
          { ...env, ...memlog('overload') },
          `${kind}-${c.name}`,
        );
        const row = {
          config: c.name,
          env: c.env,
          drain: {
            rate: drain.rate,
            peakRssMB: drain.peakRssMB,
            cpuPer100k: drain.cpuPer100k.total,
            missing: drain.missing,
          },
          overload: {
            targetRate: rate,
            achievedRate: over.achievedRate,
            peakRssMB: over.peakRssMB,
            p95: over.p95,
            missing: over.missing,
            drained: over.drained,
          },
        };
        log(JSON.stringify(row));
        out.push(row);
      }
    } finally {
      await stopAll();
      await cp?.stop('SIGTERM').catch(() => undefined);
      await ctx.drop(...ctx.topics);
    }
  });
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'perf/rss failed', err: (e as Error).stack })}\n`);
      process.exit(1);
    },
  );
}
