/**
 * Load generator: realistic ~1 KB order events (src/dev/orders.ts, PERF_MIX: ~5% contract
 * violations, ~1% undeclared PII, ~0.1% poison) to a real topic, either as fast as possible
 * (a backlog) or at a fixed rate, deterministic from a seed: record i of a seed is always
 * the same bytes, whatever the rate or the phase it is produced in.
 *
 *   node dist/perf/load.js --topic t [--create] [--partitions 12] [--seed 42]
 *                          (--count N | --rate R --seconds S) [--start I]
 */

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Producer } from '../src/common/kafka.js';
import { withAdmin } from '../src/common/kafka-admin.js';
import { kafkaSecurityConfig } from '../src/common/kafka-security.js';
import { type GeneratedRecord, orderRecord, PERF_MIX, rng } from '../src/dev/orders.js';

/** Every perf record carries the producer's claimed identity (the IDENTITY gate reads it). */
const HEADERS = [{ 'producer-id': 'orders-svc' }];
const ERR_QUEUE_FULL = -184;

export interface LoadStats {
  produced: number;
  seconds: number;
  rate: number;
  bytes: number;
  /** Index of the next record: pass it as `start` to continue the same sequence. */
  next: number;
}

/** Records [start, start + count) of a seed; record i has its own random stream, so it never depends on phases. */
export function* perfRecords(count: number, seed: number, start = 0): Generator<GeneratedRecord> {
  for (let i = start; i < start + count; i++) yield orderRecord(i, rng(seed * 1_000_003 + i), PERF_MIX);
}

/** Topic creation for perf: broker (LogAppendTime) timestamps, so latency is broker time to broker time. */
export async function createPerfTopics(brokers: string, topics: string[], partitions = 12): Promise<void> {
  await withAdmin(brokers, (admin) =>
    admin.createTopics({
      topics: topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    }),
  );
}

export class LoadProducer {
  private readonly producer: Producer;
  private sent = 0;
  private acked = 0;
  private failed: Error | undefined;

  constructor(
    brokers: string,
    private readonly topic: string,
    private readonly seed = 42,
  ) {
    this.producer = new Producer({
      'metadata.broker.list': brokers,
      ...kafkaSecurityConfig(),
      'client.id': 'signal-factory-perf-load',
      'linger.ms': 5,
      'batch.num.messages': 10000,
      'compression.type': 'lz4',
      'queue.buffering.max.messages': 500000,
      'queue.buffering.max.kbytes': 524288,
      dr_cb: true,
    });
    this.producer.on('delivery-report', (err) => {
      if (err) this.failed = err as unknown as Error;
      this.acked++;
    });
  }

  async connect(): Promise<void> {
    await new Promise<void>((res, rej) => this.producer.connect({ timeout: 20_000 }, (e) => (e ? rej(e) : res())));
    this.producer.setPollInterval(10);
  }

  /** Produces one record, waiting while librdkafka's local queue is full. */
  private async put(r: GeneratedRecord): Promise<number> {
    for (;;) {
      try {
        this.producer.produce(this.topic, null, r.value, r.key, null, undefined, HEADERS);
        this.sent++;
        return r.value?.length ?? 0;
      } catch (e) {
        if ((e as { code?: number }).code !== ERR_QUEUE_FULL) throw e;
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  }

  /** Waits until the broker acknowledged everything produced so far. */
  async flush(): Promise<void> {
    while (this.acked < this.sent && !this.failed) await new Promise((res) => setTimeout(res, 5));
    if (this.failed) throw this.failed;
  }

  /** As fast as possible: `count` records from index `start`, acknowledged. */
  async backlog(count: number, start = 0): Promise<LoadStats> {
    const t0 = performance.now();
    let bytes = 0;
    let n = 0;
    for (const r of perfRecords(count, this.seed, start)) {
      bytes += await this.put(r);
      // Yield now and then so delivery reports (and timers of the caller) run.
      if (++n % 20_000 === 0) await new Promise((res) => setImmediate(res));
    }
    await this.flush();
    const seconds = (performance.now() - t0) / 1000;
    return { produced: count, seconds, rate: count / seconds, bytes, next: start + count };
  }

  /**
   * A fixed rate for `seconds`: every 5 ms produce what the schedule owes (no catch-up burst
   * beyond one tick if the process was descheduled longer). Returns the achieved rate.
   */
  async atRate(rate: number, seconds: number, start = 0): Promise<LoadStats> {
    const total = Math.round(rate * seconds);
    const gen = perfRecords(total, this.seed, start);
    const t0 = performance.now();
    let n = 0;
    let bytes = 0;
    while (n < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (n < due) {
        const r = gen.next();
        if (r.done) break;
        bytes += await this.put(r.value);
        n++;
      }
      if (n < total) await new Promise((res) => setTimeout(res, 5));
    }
    const seconds_ = (performance.now() - t0) / 1000;
    await this.flush();
    return { produced: n, seconds: seconds_, rate: n / seconds_, bytes, next: start + n };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await new Promise<void>((res) => this.producer.disconnect(() => res()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      create: { type: 'boolean', default: false },
      partitions: { type: 'string', default: '12' },
      seed: { type: 'string', default: '42' },
      count: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '60' },
      start: { type: 'string', default: '0' },
    },
  });
  const brokers = process.env.SF_KAFKA_BROKERS ?? '127.0.0.1:9092';
  if (!values.topic || (!values.count && !values.rate)) {
    process.stderr.write(
      'usage: node dist/perf/load.js --topic t [--create] [--partitions 12] [--seed 42] (--count N | --rate R --seconds S) [--start I]\n',
    );
    process.exit(2);
  }
  if (values.create) await createPerfTopics(brokers, [values.topic], Number(values.partitions));
  const p = new LoadProducer(brokers, values.topic, Number(values.seed));
  await p.connect();
  const stats = values.count
    ? await p.backlog(Number(values.count), Number(values.start))
    : await p.atRate(Number(values.rate), Number(values.seconds), Number(values.start));
  await p.close();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
}
