/**
 * Reads evidence back from the evidence topic (demo, tests, perf): snapshots the topic's
 * end offsets first, then collects events produced after that point.
 */
import { KafkaConsumer } from '../common/kafka.js';
import type { EvidenceEvent } from '../models/evidence.js';
import { withAdmin } from '../common/kafka-admin.js';

export type Marks = Array<{ partition: number; offset: number }>;

/** The current end offset of every partition of a topic. */
export async function endOffsets(brokers: string, topic: string): Promise<Marks> {
  return withAdmin(brokers, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).map((p: { partition: number; high: string }) => ({ partition: p.partition, offset: Number(p.high) })),
  );
}

export interface ReadOptions {
  brokers: string;
  topic: string;
  from: Marks;
  /** Stop when this returns true for the events collected so far. */
  until: (events: EvidenceEvent[]) => boolean;
  timeoutMs: number;
}

/** Collects every event after `from` until `until` holds or the timeout passes. */
export async function readEvidence(opts: ReadOptions): Promise<{ events: EvidenceEvent[]; brokerTimes: number[]; done: boolean }> {
  const consumer = new KafkaConsumer(
    {
      'metadata.broker.list': opts.brokers,
      'group.id': `sf-evidence-reader-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
    },
    {},
  );
  await new Promise<void>((res, rej) => consumer.connect({ timeout: 20_000 }, (e) => (e ? rej(e) : res())));
  consumer.assign(opts.from.map((m) => ({ topic: opts.topic, partition: m.partition, offset: m.offset })));
  consumer.setDefaultConsumeTimeout(200);
  const events: EvidenceEvent[] = [];
  const brokerTimes: number[] = [];
  const deadline = Date.now() + opts.timeoutMs;
  let done = opts.until(events);
  try {
    while (!done && Date.now() < deadline) {
      const batch = await new Promise<Array<{ value: Buffer | null; timestamp?: number }>>((res, rej) =>
        consumer.consume(5000, (e, m) => (e ? rej(e) : res(m))),
      );
      for (const m of batch) {
        if (!m.value) continue;
        events.push(JSON.parse(m.value.toString('utf8')) as EvidenceEvent);
        brokerTimes.push(m.timestamp ?? 0);
      }
      if (batch.length > 0) done = opts.until(events);
    }
  } finally {
    await new Promise<void>((res) => consumer.disconnect(() => res()));
  }
  return { events, brokerTimes, done };
}
