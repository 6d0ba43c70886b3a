/**
 * Reads the shadow evidence topic from its start to the high watermarks taken when the read
 * begins (no consumer group, nothing committed): every control-plane replica answers a shadow
 * report from the same events, and nothing runs while nobody asks. The topic's retention bounds
 * the work; set it to the trial period (docs/api.md, "Shadow policies").
 */
import { randomUUID } from 'node:crypto';
import { KafkaConsumer, type Message } from '../../common/kafka.js';
import { kafkaSecurityConfig } from '../../common/kafka-security.js';
import { parseShadowEvidence, type ShadowEvidence } from './report.js';

export interface ShadowEvidenceSource {
  /** Every shadow evidence event on the topic now; throws when Kafka cannot be read in time. */
  read(): Promise<ShadowEvidence[]>;
}

const cb =
  <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
  (err: unknown, v: T) =>
    err
      ? reject(err instanceof Error ? err : new Error(String((err as { message?: string }).message ?? err)))
      : resolve(v);

export function kafkaShadowSource(brokers: string, topic: string, timeoutMs = 20_000): ShadowEvidenceSource {
  return {
    async read() {
      const consumer = new KafkaConsumer(
        {
          'metadata.broker.list': brokers,
          ...kafkaSecurityConfig(),
          'group.id': `signal-factory-shadow-report-${randomUUID()}`,
          'enable.auto.commit': false,
          'client.id': 'signal-factory-control-plane-shadow',
        },
        { 'auto.offset.reset': 'earliest' },
      );
      const deadline = Date.now() + timeoutMs;
      await new Promise<unknown>((resolve, reject) => consumer.connect({ timeout: timeoutMs }, cb(resolve, reject)));
      try {
        const meta = await new Promise<{ topics: Array<{ name: string; partitions: Array<{ id: number }> }> }>(
          (resolve, reject) => consumer.getMetadata({ topic, timeout: timeoutMs }, cb(resolve, reject) as never),
        );
        const partitions = meta.topics.find((t) => t.name === topic)?.partitions ?? [];
        const ends = new Map<number, number>();
        const assignment: Array<{ topic: string; partition: number; offset: number }> = [];
        for (const p of partitions) {
          const w = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
            consumer.queryWatermarkOffsets(topic, p.id, timeoutMs, cb(resolve, reject) as never),
          );
          if (w.highOffset > w.lowOffset) {
            ends.set(p.id, w.highOffset);
            assignment.push({ topic, partition: p.id, offset: w.lowOffset });
          }
        }
        const out: ShadowEvidence[] = [];
        if (assignment.length === 0) return out;
        consumer.assign(assignment);
        const done = new Set<number>();
        while (done.size < ends.size) {
          if (Date.now() > deadline) throw new Error(`reading ${topic} took longer than ${timeoutMs} ms`);
          const batch = await new Promise<Message[]>((resolve, reject) => consumer.consume(1000, cb(resolve, reject)));
          for (const m of batch) {
            const end = ends.get(m.partition);
            if (end === undefined || m.offset >= end) continue;
            const e = m.value ? parseShadowEvidence(m.value.toString('utf8')) : undefined;
            if (e) out.push(e);
            if (m.offset >= end - 1) done.add(m.partition);
          }
        }
        return out;
      } finally {
        await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      }
    },
  };
}
