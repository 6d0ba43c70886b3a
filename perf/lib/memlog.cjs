// Diagnostic preload for perf/rss.ts --memlog (NODE_OPTIONS=--require; it runs in worker threads
// too): about every SF_MEMLOG_MS (1 s) each thread appends one JSON line with its own V8
// isolate's heap figures to SF_MEMLOG_FILE. The main thread adds process.memoryUsage() and an
// RSS breakdown of /proc/self/smaps (glibc [heap], 64 MiB glibc arenas of other threads, other
// anonymous memory: V8 heaps, mmapped buffers; file-backed: code). Piscina workers block in
// Atomics.wait between tasks and never run timers, so a worker logs from a wrapped Atomics.wait.
// Plain CommonJS so it loads before the ESM application without a build step.
const v8 = require('node:v8');
const fs = require('node:fs');
const { threadId, isMainThread } = require('node:worker_threads');

const file = process.env.SF_MEMLOG_FILE;
const every = Number(process.env.SF_MEMLOG_MS || 1000);
const mb = (b) => Math.round(b / 104857.6) / 10;
const ARENA = 64 * 1024 * 1024;

function smaps() {
  const out = { heap: 0, arenas: 0, arenaCount: 0, anon: 0, file: 0 };
  let kind = '';
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const start = Number.parseInt(head[1], 16);
      const size = Number.parseInt(head[2], 16) - start;
      const name = head[3];
      // glibc's per-thread arenas are 64 MiB-aligned anonymous reservations.
      kind =
        name === '[heap]'
          ? 'heap'
          : name.startsWith('/')
            ? 'file'
            : name === '' && start % ARENA === 0 && size <= ARENA
              ? 'arenas'
              : 'anon';
      if (kind === 'arenas') out.arenaCount++;
      continue;
    }
    if (line.startsWith('Rss:')) out[kind] += Number(line.split(/\s+/)[1]) * 1024;
  }
  for (const k of ['heap', 'arenas', 'anon', 'file']) out[k] = mb(out[k]);
  return out;
}

function write() {
  const h = v8.getHeapStatistics();
  const line = {
    t: Date.now(),
    thread: threadId,
    heapTotal: mb(h.total_heap_size),
    heapUsed: mb(h.used_heap_size),
    external: mb(h.external_memory),
    malloced: mb(h.malloced_memory),
    spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)])),
  };
  if (isMainThread) {
    const m = process.memoryUsage();
    line.rss = mb(m.rss);
    line.arrayBuffers = mb(m.arrayBuffers);
    line.smaps = smaps();
  }
  fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
}

if (file) {
  if (isMainThread) setInterval(write, every).unref();
  else {
    const wait = Atomics.wait;
    let last = 0;
    Atomics.wait = function (...args) {
      const now = Date.now();
      if (now - last >= every) {
        last = now;
        write();
      }
      return wait.apply(this, args);
    };
  }
}
