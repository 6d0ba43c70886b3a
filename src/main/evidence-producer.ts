/**
 * The one Kafka producer of the enforcer (design 7.2): evidence and republished records.
 * acks=all, idempotence, retries without bound inside a bounded delivery timeout. A send
 * resolves when the broker acknowledged it; a delivery that still fails after the timeout
 * is counted and produced again, so a record is never marked done without its evidence.
 */
import { type LibrdKafkaError, type MessageHeader, Producer } from '../common/kafka.js';
import { rateLimitedLog, routeClientLogs } from '../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../common/kafka-security.js';
import type { Logger } from '../common/logger.js';
import type { EnforcerMetrics } from './metrics.js';

/** librdkafka's "local queue full": wait for deliveries to drain, then retry. */
const ERR_QUEUE_FULL = -184;

export interface Outgoing {
  topic: string;
  key: Buffer | null;
  value: Buffer;
  headers?: MessageHeader[];
  timestamp?: number;
}

/** Receives broker acknowledgements; `tag` is the caller's index for the message. */
export interface AckSink {
  ack(tag: number): void;
}

interface Pending {
  msg: Outgoing;
  sink: AckSink;
  tag: number;
}

/**
 * The evidence producer's librdkafka settings (design 7.2), shared with the perf baseline.
 * `queueKb` bounds the bytes waiting in librdkafka for the broker (SF_EVIDENCE_QUEUE_KB).
 */
export function evidenceProducerConfig(brokers: string, deliveryTimeoutMs: number, queueKb: number) {
  return {
    'metadata.broker.list': brokers,
    ...kafkaSecurityConfig(),
    'client.id': 'signal-factory-enforcer',
    acks: -1, // all in-sync replicas
    'enable.idempotence': true,
    'message.send.max.retries': 2147483647,
    'delivery.timeout.ms': deliveryTimeoutMs,
    'linger.ms': 5,
    'batch.num.messages': 10000,
    'compression.type': 'lz4' as const,
    // Bounds memory while the evidence bus is slow (librdkafka's default is 1 GiB). Evidence of
    // records in flight is already bounded by SF_ENFORCER_MAX_INFLIGHT_KB (~1.4 evidence bytes
    // per raw byte); this also caps what that bound does not count (shadow evidence). A full
    // queue is not an error: the send waits for deliveries and tries again (produceOne).
    'queue.buffering.max.messages': 100000,
    'queue.buffering.max.kbytes': queueKb,
    dr_cb: true,
  };
}

export class KafkaSender {
  private readonly producer: Producer;
  private connected = false;
  /** Deliveries that failed and wait to be produced again. */
  private readonly retryQueue: Pending[] = [];
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    opts: { brokers: string; deliveryTimeoutMs: number; queueKb: number },
    private readonly metrics: EnforcerMetrics,
    private readonly log: Logger,
  ) {
    this.producer = new Producer(evidenceProducerConfig(opts.brokers, opts.deliveryTimeoutMs, opts.queueKb));
    this.producer.on('delivery-report', (err, report) => this.onDelivery(err, report.opaque as Pending, report.topic));
    routeClientLogs(this.producer, rateLimitedLog(log), { client: 'evidence producer' });
  }

  async connect(timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.producer.connect({ timeout: timeoutMs }, (err) => (err ? reject(err) : resolve())),
    );
    this.producer.setPollInterval(5);
    this.connected = true;
  }

  get isConnected(): boolean {
    return this.connected && this.producer.isConnected();
  }

  private onDelivery(err: LibrdKafkaError | null, p: Pending, topic: string): void {
    if (!err) {
      p.sink.ack(p.tag);
      return;
    }
    this.metrics.emitErrors.inc({ topic, error: String(err.code ?? 'unknown') });
    this.log.warn({ topic, err: err.message }, 'delivery failed after timeout; producing again');
    this.retryQueue.push(p);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const batch = this.retryQueue.splice(0);
      for (const p of batch) void this.produceOne(p);
    }, 500);
  }

  /**
   * Produces one message; `sink.ack(tag)` runs when the broker acknowledged it, however
   * many tries that takes. No promise per message: acks are counted by the caller.
   */
  send(msg: Outgoing, sink: AckSink, tag: number): void {
    const p: Pending = { msg, sink, tag };
    try {
      this.producer.produce(msg.topic, null, msg.value, msg.key, msg.timestamp ?? null, p, msg.headers);
    } catch {
      void this.produceOne(p);
    }
  }

  private async produceOne(p: Pending): Promise<void> {
    const { msg } = p;
    for (let attempt = 0; ; attempt++) {
      try {
        this.producer.produce(msg.topic, null, msg.value, msg.key, msg.timestamp ?? null, p, msg.headers);
        return;
      } catch (err) {
        const code = (err as LibrdKafkaError).code;
        if (code !== ERR_QUEUE_FULL) {
          this.metrics.emitErrors.inc({ topic: msg.topic, error: String(code ?? 'produce') });
          if (attempt % 100 === 0)
            this.log.warn({ topic: msg.topic, err: (err as Error).message }, 'produce failed; retrying');
        }
        // Queue full means the broker is slow or down: wait for deliveries to drain.
        await new Promise((r) => setTimeout(r, Math.min(1000, 10 * (attempt + 1))));
      }
    }
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.connected) return;
    await new Promise<void>((resolve) => this.producer.flush(timeoutMs, () => resolve()));
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
    this.connected = false;
  }
}
