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
      ...extra,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  routeClientLogs(c, o.log, { client: o.clientId });
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
    ...extra,
  });
  routeClientLogs(p, o.log, { client: o.clientId });
  return p;
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
