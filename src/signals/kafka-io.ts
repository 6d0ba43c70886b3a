/**
 * The engine's Kafka plumbing: promisified calls of the node-rdkafka-style client, the dataset ->
 * partials partition mapping (ours, so stage 2 knows which datasets it owns even when they are
 * silent), and a bounded reader of an offset range used to rebuild state after an assignment.
 */
import { crc32 } from 'node:zlib';
import { CODES, KafkaConsumer, type LibrdKafkaError, type Message, Producer } from '../common/kafka.js';

type Offsets = Array<{ partition: number; offset?: number }>;

import { type RateLimitedLog, routeClientLogs } from '../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../common/kafka-security.js';

export { CODES };

/** The partials (and state) partition that owns a dataset: stage 2's unit of ownership. */
export function ownerPartition(dataset: string, partitions: number): number {
  return crc32(dataset) % partitions;
}

export function connect(c: KafkaConsumer | Producer, timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => (c as KafkaConsumer).connect({ timeout: timeoutMs }, (e) => (e ? rej(e) : res())));
}

export function disconnect(c: KafkaConsumer | Producer): Promise<void> {
  return new Promise((res) => (c as KafkaConsumer).disconnect(() => res()));
}

export function consume(c: KafkaConsumer, n: number): Promise<Message[]> {
  return new Promise((res, rej) => c.consume(n, (e, m) => (e ? rej(e) : res(m))));
}

export function watermarks(c: KafkaConsumer, topic: string, partition: number, timeoutMs = 10_000) {
  return new Promise<{ lowOffset: number; highOffset: number }>((res, rej) =>
    c.queryWatermarkOffsets(topic, partition, timeoutMs, (e, w) => (e ? rej(e) : res(w))),
  );
}

/** The group's committed offset of each partition (undefined when none). */
export function committed(c: KafkaConsumer, topic: string, partitions: number[], timeoutMs = 10_000) {
  return new Promise<Map<number, number | undefined>>((res, rej) =>
    c.committed(
      partitions.map((partition) => ({ topic, partition })),
      timeoutMs,
      (e: LibrdKafkaError, tps: Offsets) => {
        if (e) return rej(new Error(e.message));
        const m = new Map<number, number | undefined>();
        for (const tp of tps)
          m.set(tp.partition, typeof tp.offset === 'number' && tp.offset >= 0 ? tp.offset : undefined);
        res(m);
      },
    ),
  );
}

export function offsetForTime(c: KafkaConsumer, topic: string, partition: number, ts: number, timeoutMs = 10_000) {
  return new Promise<number>((res, rej) =>
    c.offsetsForTimes([{ topic, partition, offset: ts }], timeoutMs, (e: LibrdKafkaError, tps: Offsets) =>
      e ? rej(new Error(e.message)) : res(tps[0]?.offset ?? -1),
    ),
  );
}

export interface ClientOptions {
  brokers: string;
  clientId: string;
  log: RateLimitedLog;
  /** A consumer's prefetch bound per assigned partition (SF_SIGNALS_FETCH_QUEUE_KB); librdkafka's default is 64 MB. */
  fetchQueueKb?: number;
  /** Called with the client's statistics every STATS_INTERVAL_MS (lag and queued bytes). */
  stats?: (s: ReturnType<typeof clientStats>) => void;
}

const STATS_INTERVAL_MS = 2000;

/**
 * Memory that follows partitions, not traffic: without these a consumer behind a backlog
 * prefetches up to 64 MB (or 100,000 messages) per partition. One fetch response may add up to
 * max.partition.fetch.bytes per partition over the bound, so that is capped by it too.
 */
export function prefetchConfig(o: Pick<ClientOptions, 'fetchQueueKb'>): object {
  if (o.fetchQueueKb === undefined) return {};
  return {
    'queued.max.messages.kbytes': o.fetchQueueKb,
    'max.partition.fetch.bytes': Math.min(1_048_576, o.fetchQueueKb * 1024),
  };
}

const statsConfig = (o: ClientOptions) => (o.stats ? { 'statistics.interval.ms': STATS_INTERVAL_MS } : {});

function watchStats(c: KafkaConsumer | Producer, o: ClientOptions): void {
  const f = o.stats;
  if (f) (c as KafkaConsumer).on('event.stats', (s: { message: string }) => f(clientStats(s.message)));
}

export function newConsumer(o: ClientOptions & { groupId: string; readCommitted?: boolean }, extra: object = {}) {
  const c = new KafkaConsumer(
    {
      'metadata.broker.list': o.brokers,
      ...kafkaSecurityConfig(),
      'group.id': o.groupId,
      'client.id': o.clientId,
      'enable.auto.commit': false,
      'isolation.level': o.readCommitted ? 'read_committed' : 'read_uncommitted',
      'topic.metadata.refresh.interval.ms': 10_000,
      log_level: 6,
      ...prefetchConfig(o),
      ...statsConfig(o),
      ...extra,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  routeClientLogs(c, o.log, { client: o.clientId });
  watchStats(c, o);
  return c;
}

export function newProducer(o: ClientOptions, extra: object = {}) {
  const p = new Producer({
    'metadata.broker.list': o.brokers,
    ...kafkaSecurityConfig(),
    'client.id': o.clientId,
    acks: -1,
    'enable.idempotence': true,
    'linger.ms': 5,
    'compression.type': 'lz4',
    log_level: 6,
    ...statsConfig(o),
    ...extra,
  });
  routeClientLogs(p, o.log, { client: o.clientId });
  watchStats(p, o);
  return p;
}

/**
 * What a librdkafka statistics message (statistics.interval.ms) says about a client: the lag of
 * its assigned partitions, and the bytes it holds in queues (consumer prefetch per partition,
 * producer queue), which are outside the JS heap and count in the process's RSS.
 */
export function clientStats(stats: string): { lag: number; queuedBytes: number } {
  const s = JSON.parse(stats) as {
    msg_size?: number;
    topics?: Record<string, { partitions?: Record<string, { consumer_lag?: number; fetchq_size?: number }> }>;
  };
  let lag = 0;
  // A group consumer's partition queues forward into one queue, and every partition reports
  // that queue's size (librdkafka 2.15): the largest figure is the consumer's prefetch.
  let fetchq = 0;
  for (const t of Object.values(s.topics ?? {}))
    for (const [id, p] of Object.entries(t.partitions ?? {})) {
      if (id === '-1') continue;
      if ((p.consumer_lag ?? -1) > 0) lag += p.consumer_lag!;
      fetchq = Math.max(fetchq, p.fetchq_size ?? 0);
    }
  return { lag, queuedBytes: (s.msg_size ?? 0) + fetchq };
}

export function flush(p: Producer, timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => p.flush(timeoutMs, (e) => (e ? rej(e) : res())));
}

/**
 * Reads [from, to) of one partition with a throw-away group-less consumer, calling `each` per
 * message; bounded by `timeoutMs` (a reader that cannot reach `to` fails loudly).
 */
export async function readRange(
  o: ClientOptions & { readCommitted?: boolean },
  topic: string,
  partition: number,
  from: number,
  to: number,
  each: (m: Message) => void,
  timeoutMs = 60_000,
): Promise<number> {
  if (from >= to) return 0;
  const c = newConsumer({ ...o, groupId: `${o.clientId}.reader`, clientId: `${o.clientId}-reader` });
  let n = 0;
  await connect(c, 10_000);
  try {
    c.setDefaultConsumeTimeout(200);
    c.assign([{ topic, partition, offset: from }]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const m of await consume(c, 5000)) {
        if (m.offset >= to) return n;
        each(m);
        n++;
        if (m.offset === to - 1) return n;
      }
      const pos = c.position([{ topic, partition }])[0]?.offset;
      if (typeof pos === 'number' && pos >= to) return n;
      if (Date.now() > deadline) {
        throw new Error(
          `reading ${topic}[${partition}] ${from}..${to} did not finish within ${timeoutMs} ms (at ${pos})`,
        );
      }
    }
  } finally {
    await disconnect(c);
  }
}
