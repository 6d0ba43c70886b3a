/**
 * Fills the evidence index from `signal_factory.evidence` (SF_EVIDENCE_TOPIC) inside the
 * control plane. Offsets are committed only after a batch is in SQLite; inserts are idempotent,
 * so a crash between insert and commit replays harmlessly.
 */

import kafka from '@confluentinc/kafka-javascript';
import { Compile } from 'typebox/compile';
import { kafkaJsLogger } from '../../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../../common/kafka-security.js';
import type { Logger } from '../../common/logger.js';
import { EvidenceEvent } from '../../models/index.js';
import type { EvidenceIndex } from './index-store.js';

const checkEvidence = Compile(EvidenceEvent);

export interface EvidenceConsumerOptions {
  brokers: string;
  topic: string;
  groupId: string;
  index: EvidenceIndex;
  logger: Logger;
  onIndexed?: (added: number, rejected: number) => void;
}

export interface EvidenceConsumer {
  stop(): Promise<void>;
}

/** Parses one message value; undefined when it is not an evidence event. */
export function parseEvidence(value: Buffer | null): EvidenceEvent | undefined {
  if (!value) return undefined;
  try {
    const v: unknown = JSON.parse(value.toString('utf8'));
    return checkEvidence.Check(v) ? (v as EvidenceEvent) : undefined;
  } catch {
    return undefined;
  }
}

export async function startEvidenceConsumer(o: EvidenceConsumerOptions): Promise<EvidenceConsumer> {
  const consumer = new kafka.KafkaJS.Kafka({}).consumer({
    ...kafkaSecurityConfig(),
    'bootstrap.servers': o.brokers,
    'group.id': o.groupId,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': true,
    'js.consumer.max.batch.size': 1024,
    log_level: 3,
    kafkaJS: { groupId: o.groupId, logger: kafkaJsLogger(o.logger, 'evidence index consumer') },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [o.topic] });
  let rejectedTotal = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const events: EvidenceEvent[] = [];
      for (const m of batch.messages) {
        const e = parseEvidence(m.value);
        if (e) events.push(e);
      }
      const rejected = batch.messages.length - events.length;
      if (rejected > 0 && rejectedTotal === 0) {
        o.logger.warn(
          { topic: batch.topic, partition: batch.partition },
          'skipping values that are not evidence events',
        );
      }
      rejectedTotal += rejected;
      const added = events.length > 0 ? o.index.insert(events) : 0;
      o.onIndexed?.(added, rejected);
    },
  });
  o.logger.info({ topic: o.topic, groupId: o.groupId }, 'evidence index consumer started');
  return {
    async stop() {
      await consumer.disconnect();
    },
  };
}
