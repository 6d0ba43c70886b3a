/** Admin helpers (topic creation, offsets) over kafka-javascript's KafkaJS-compatible admin client. */
import { KafkaJS } from './kafka.js';
import { kafkaJsLogger, rateLimitedLog } from './kafka-logs.js';
import { kafkaSecurityConfig } from './kafka-security.js';
import { createLogger, type Logger } from './logger.js';

let log: Logger | undefined;
/** Admin chatter (connected, disconnected) is noise: warnings and errors only. */
const adminLog = () => {
  log ??= createLogger('kafka-admin', 'warn');
  return log;
};

export type Admin = import('@confluentinc/kafka-javascript').KafkaJS.Admin;

export async function withAdmin<T>(brokers: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = new KafkaJS.Kafka({
    ...kafkaSecurityConfig(),
    kafkaJS: {
      brokers: brokers.split(','),
      logLevel: KafkaJS.logLevel.ERROR,
      logger: kafkaJsLogger(rateLimitedLog(adminLog()), { client: 'kafka admin' }),
    },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topics that do not exist yet (idempotent). */
export async function ensureTopics(
  admin: Admin,
  topics: Array<{ topic: string; numPartitions: number }>,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing.map((t) => ({ ...t, replicationFactor: 1 })) });
  }
  return missing.map((t) => t.topic);
}
