/**
 * Reads a topic back (demo, tests, perf): snapshot the end offsets first, then collect
 * what was produced after that point until a condition holds.
 */

import { KafkaConsumer, type Message } from '../common/kafka.js';
import { withAdmin } from '../common/kafka-admin.js';
import type { EvidenceEvent } from '../models/evidence.js';

export type Marks = Array<{ partition: number; offset: number }>;

/** The current end offset of every partition of a topic. */
export async function endOffsets(brokers: string, topic: string): Promise<Marks> {
  return withAdmin(brokers, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).map((p: { partition: number; high: string }) => ({
      partition: p.partition,
      offset: Number(p.high),
    })),
  );
}

/** Offset 0 of each of n partitions. */
export const fromStart = (partitions: number): Marks =>
  Array.from({ length: partitions }, (_, p) => ({ partition: p, offset: 0 }));

export interface ReadOptions<T> {
  brokers: string;
  topic: string;
  from: Marks;
  /** Stop when this returns true for what was collected so far. */
  until: (items: T[]) => boolean;
  timeoutMs: number;
}

/** Collects every message after `from` until `until` holds or the timeout passes. */
export async function readMessages(opts: ReadOptions<Message>): Promise<{ messages: Message[]; done: boolean }> {
  const consumer = new KafkaConsumer(
    {
      'metadata.broker.list': opts.brokers,
      'group.id': `sf-reader-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
    },
    {},
  );
  await new Promise<void>((res, rej) => consumer.connect({ timeout: 20_000 }, (e) => (e ? rej(e) : res())));
  consumer.assign(opts.from.map((m) => ({ topic: opts.topic, partition: m.partition, offset: m.offset })));
  consumer.setDefaultConsumeTimeout(200);
  const messages: Message[] = [];
  const deadline = Date.now() + opts.timeoutMs;
  let done = opts.until(messages);
  try {
    while (!done && Date.now() < deadline) {
      const batch = await new Promise<Message[]>((res, rej) => consumer.consume(5000, (e, m) => (e ? rej(e) : res(m))));
      for (const m of batch) messages.push(m);
      if (batch.length > 0) done = opts.until(messages);
    }
  } finally {
    await new Promise<void>((res) => consumer.disconnect(() => res()));
  }
  return { messages, done };
}

/** Evidence events after `from`, with the broker timestamp of each. */
export async function readEvidence(
  opts: ReadOptions<EvidenceEvent>,
): Promise<{ events: EvidenceEvent[]; brokerTimes: number[]; done: boolean }> {
  const events: EvidenceEvent[] = [];
  const brokerTimes: number[] = [];
  let seen = 0;
  const { done } = await readMessages({
    ...opts,
    until: (msgs) => {
      for (; seen < msgs.length; seen++) {
        const m = msgs[seen];
        if (!m.value) continue;
        events.push(JSON.parse(m.value.toString('utf8')) as EvidenceEvent);
        brokerTimes.push(m.timestamp ?? 0);
      }
      return opts.until(events);
    },
  });
  return { events, brokerTimes, done };
}
