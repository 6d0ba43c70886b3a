/**
 * The worker task and evaluateRecord, timed on batches of 256 distinct ~925 B order events
 * (medians of per-batch times), from the build under `root` (default: this build). perf/ab
 * runs it against two builds, alternating, because one run on a shared machine moves by
 * +-0.3 us: only an A/B of the same harness says whether a change helped.
 *   node dist/perf/micro/worker-task.js [dist root] [batches]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distinctOrders } from './distinct-orders.js';

const root = resolve(process.argv[2] ?? new URL('../..', import.meta.url).pathname);
const batches = Number(process.argv[3] ?? 800);
const load = (p: string) => import(pathToFileURL(resolve(root, p)).href);
const { default: task } = await load('src/workers/task.js');
const { compileSnapshot, evaluateRecord } = await load('src/workers/pipeline.js');
const { encodeSnapshot, packBatch } = await load('src/workers/pack.js');
const { headers, order, rec, signedPrincipal, snapshot } = await load('test/unit/gates/fixtures.js');

const snap = snapshot();
const compiled = compileSnapshot(snap);
const value = order(3);
const r = rec(Buffer.from(JSON.stringify(value)), headers({ 'x-sf-principal': signedPrincipal('orders-svc') }));
const recs = distinctOrders(value, r, signedPrincipal('orders-svc'));
const batch = packBatch(recs, snap.version, encodeSnapshot(snap), 0);
const median = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
const taskNs: number[] = [];
const evalNs: number[] = [];
let sink: unknown;
for (let b = 0; b < batches; b++) {
  let t0 = performance.now();
  sink = task(batch);
  taskNs.push(((performance.now() - t0) * 1e6) / 256);
  t0 = performance.now();
  for (let i = 0; i < 256; i++) sink = evaluateRecord(compiled, r, '"2026-01-13T12:01:02.120Z"');
  evalNs.push(((performance.now() - t0) * 1e6) / 256);
}
void sink;
// The first quarter is warm-up (JIT tiers).
const warm = Math.floor(batches / 4);
console.log(
  JSON.stringify({
    taskNs: Math.round(median(taskNs.slice(warm))),
    evaluateNs: Math.round(median(evalNs.slice(warm))),
  }),
);
