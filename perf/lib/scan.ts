/**
 * Reads an evidence topic back and matches it to the raw offsets it must cover, streaming
 * (src/dev/evidence-reader.ts keeps every message in memory; a million would not fit).
 * Like the evidence reader: snapshot the end offsets (endOffsets), assign from marks, read up
 * to the ends. Per evidence record: its raw partition/offset and raw broker timestamp
 * (source.event_time) and its own broker timestamp (LogAppendTime topics).
 */
import { KafkaConsumer, type Message } from '../../src/common/kafka.js';
import { endOffsets, type Marks } from '../../src/dev/evidence-reader.js';

export interface Coverage {
  /** Raw records expected (sum of the ranges). */
  expected: number;
  /** Distinct raw offsets with evidence. */
  distinct: number;
  missing: number;
  duplicates: number;
  /** Evidence records read that belong to the ranges. */
  evidence: number;
  /** First and last evidence broker timestamps (ms). */
  firstTs: number;
  lastTs: number;
  /** Evidence broker time minus raw broker time, first evidence of each raw record (ms). */
  latency: { p50: number; p95: number; p99: number; max: number; mean: number } | null;
  /** p95 latency per 5 s of raw broker time, in order: shows warm-up, stalls and growing queues. */
  timeline: number[];
  /** A few missing raw offsets, `partition/offset`. */
  missingSample: string[];
}

const pct = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/**
 * Scans `evidenceTopic` from `from` to its current end for evidence of `rawTopic`'s
 * offsets [rawFrom[p], rawTo[p]) and reports coverage and latency.
 */
export async function scanEvidence(opts: {
  brokers: string;
  evidenceTopic: string;
  from: Marks;
  rawTopic: string;
  rawFrom: Marks;
  rawTo: Marks;
  latency: boolean;
  timeoutMs?: number;
}): Promise<Coverage> {
  const ends = await endOffsets(opts.brokers, opts.evidenceTopic);
  const startOf = new Map(opts.from.map((m) => [m.partition, m.offset]));
  const todo = new Map<number, number>();
  for (const e of ends) if (e.offset > (startOf.get(e.partition) ?? 0)) todo.set(e.partition, e.offset);

  const rawBase = new Map(opts.rawFrom.map((m) => [m.partition, m.offset]));
  const seen = new Map<number, Uint8Array>();
  let expected = 0;
  for (const m of opts.rawTo) {
    const n = Math.max(0, m.offset - (rawBase.get(m.partition) ?? 0));
    seen.set(m.partition, new Uint8Array(n));
    expected += n;
  }
  const lat: number[] = [];
  const rawTs: number[] = [];
  let distinct = 0;
  let duplicates = 0;
  let evidence = 0;
  let firstTs = Number.POSITIVE_INFINITY;
  let lastTs = 0;

  const consumer = new KafkaConsumer(
    {
      'metadata.broker.list': opts.brokers,
      'group.id': `sf-perf-scan-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
    },
    {},
  );
  await new Promise<void>((res, rej) => consumer.connect({ timeout: 20_000 }, (e) => (e ? rej(e) : res())));
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  try {
    if (todo.size > 0) {
      consumer.assign(
        [...todo.keys()].map((p) => ({ topic: opts.evidenceTopic, partition: p, offset: startOf.get(p) ?? 0 })),
      );
      consumer.setDefaultConsumeTimeout(200);
    }
    while (todo.size > 0 && Date.now() < deadline) {
      const batch = await new Promise<Message[]>((res, rej) => consumer.consume(5000, (e, m) => (e ? rej(e) : res(m))));
      for (const m of batch) {
        const end = todo.get(m.partition);
        if (end !== undefined && m.offset + 1 >= end) todo.delete(m.partition);
        if (!m.value) continue;
        const ev = JSON.parse(m.value.toString('utf8')) as {
          source: { raw_topic: string; partition: number; offset: number; event_time: string };
        };
        const s = ev.source;
        if (s.raw_topic !== opts.rawTopic) continue;
        const bits = seen.get(s.partition);
        const i = s.offset - (rawBase.get(s.partition) ?? 0);
        if (!bits || i < 0 || i >= bits.length) continue;
        evidence++;
        const ts = m.timestamp ?? 0;
        if (ts < firstTs) firstTs = ts;
        if (ts > lastTs) lastTs = ts;
        if (bits[i]) {
          duplicates++;
          continue;
        }
        bits[i] = 1;
        distinct++;
        if (opts.latency) {
          const raw = Date.parse(s.event_time);
          lat.push(ts - raw);
          rawTs.push(raw);
        }
      }
    }
  } finally {
    await new Promise<void>((res) => consumer.disconnect(() => res()));
  }
  const missingSample: string[] = [];
  for (const [p, bits] of seen) {
    for (let i = 0; i < bits.length && missingSample.length < 5; i++)
      if (!bits[i]) missingSample.push(`${p}/${i + (rawBase.get(p) ?? 0)}`);
  }
  let latency: Coverage['latency'] = null;
  const timeline: number[] = [];
  if (opts.latency && lat.length > 0) {
    let t0 = Number.POSITIVE_INFINITY;
    for (const t of rawTs) if (t < t0) t0 = t;
    const buckets: number[][] = [];
    for (let i = 0; i < lat.length; i++) {
      const b = Math.floor((rawTs[i] - t0) / 5000);
      if (!buckets[b]) buckets[b] = [];
      buckets[b].push(lat[i]);
    }
    for (const b of buckets) timeline.push(b ? pct(Float64Array.from(b).sort(), 0.95) : Number.NaN);
  }
  if (opts.latency && lat.length > 0) {
    const sorted = Float64Array.from(lat).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    latency = {
      p50: pct(sorted, 0.5),
      p95: pct(sorted, 0.95),
      p99: pct(sorted, 0.99),
      max: sorted[sorted.length - 1],
      mean: Math.round((sum / sorted.length) * 10) / 10,
    };
  }
  return {
    expected,
    distinct,
    missing: expected - distinct,
    duplicates,
    evidence,
    firstTs: Number.isFinite(firstTs) ? firstTs : 0,
    lastTs,
    latency,
    timeline,
    missingSample,
  };
}
