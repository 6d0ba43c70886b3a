/** Republishes replayed records and resolves each send on the broker's acknowledgement. */
import { type LibrdKafkaError, type MessageHeader, Producer } from '../common/kafka.js';
import { kafkaSecurityConfig } from '../common/kafka-security.js';

export interface Republish {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: MessageHeader[];
  timestamp: number;
}

export interface Publisher {
  send(m: Republish): Promise<void>;
  close(): Promise<void>;
}

type Waiter = { resolve: () => void; reject: (e: Error) => void };

export async function connectPublisher(brokers: string, timeoutMs = 30_000): Promise<Publisher> {
  const producer = new Producer({
    'metadata.broker.list': brokers,
    ...kafkaSecurityConfig(),
    'client.id': 'signal-factory-replay',
    acks: -1,
    'enable.idempotence': true,
    // Bounded: a replay is a one-shot command, a delivery that cannot finish fails the run (exit 1).
    'delivery.timeout.ms': timeoutMs,
    'linger.ms': 5,
    dr_cb: true,
  });
  producer.on('delivery-report', (err: LibrdKafkaError | null, report) => {
    const w = report.opaque as Waiter;
    if (err) w.reject(new Error(`delivery to ${report.topic} failed: ${err.message}`));
    else w.resolve();
  });
  await new Promise<void>((resolve, reject) =>
    producer.connect({ timeout: timeoutMs }, (err) =>
      err ? reject(new Error(`cannot connect to Kafka at ${brokers}: ${err.message}`)) : resolve(),
    ),
  );
  producer.setPollInterval(5);
  return {
    send: (m) =>
      new Promise<void>((resolve, reject) => {
        try {
          producer.produce(m.topic, null, m.value, m.key, m.timestamp, { resolve, reject } as Waiter, m.headers);
        } catch (err) {
          reject(err as Error);
        }
      }),
    close: () => new Promise<void>((resolve) => producer.disconnect(() => resolve())),
  };
}
