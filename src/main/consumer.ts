/**
 * The raw-topic consumer (design 7.1): manual commits, subscription to a list or a regex,
 * eager rebalances handled by the caller's assign/revoke hooks so offsets of revoked
 * partitions are committed before they go and never after.
 */
import { CODES, KafkaConsumer, type LibrdKafkaError, type Message, type TopicPartition } from '../common/kafka.js';
import { rateLimitedLog, routeClientLogs } from '../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../common/kafka-security.js';
import type { Logger } from '../common/logger.js';
import { tpKey as partitionKey } from './offsets.js';

export interface RebalanceHooks {
  /** Runs after the partitions are assigned. */
  onAssign(parts: TopicPartition[]): void;
  /** Runs before the partitions are given up: commit what is done, then forget them. */
  onRevoke(parts: TopicPartition[]): void;
}

/**
 * The raw consumer's librdkafka settings, shared with the perf baseline so both run the
 * same client configuration.
 */
/** consume(n) waits up to this long to fill a batch: at low rates that wait is latency. */
export const CONSUME_TIMEOUT_MS = 20;

/** A fetch response's byte cap for a prefetch budget of `fetchQueueKb` KiB. */
export function fetchMaxBytes(fetchQueueKb: number): number {
  return Math.max(1 << 20, Math.min(50 << 20, (fetchQueueKb * 1024) >> 2));
}

export function rawConsumerConfig(opts: { brokers: string; groupId: string; fetchQueueKb: number }) {
  return {
    'metadata.broker.list': opts.brokers,
    ...kafkaSecurityConfig(),
    'group.id': opts.groupId,
    'client.id': 'signal-factory-enforcer',
    'enable.auto.commit': false,
    // We never store offsets implicitly: commits carry explicit offsets.
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': 'roundrobin',
    // The prefetch queue is latency under load (records wait in it): keep it to ~0.5 s of work.
    'queued.max.messages.kbytes': opts.fetchQueueKb,
    // Several smaller fetches in flight keep a backlog drain fed within that budget.
    'max.partition.fetch.bytes': 262144,
    // One fetch response may overshoot the prefetch budget (librdkafka checks the budget before
    // it fetches, and a response carries up to max.partition.fetch.bytes per partition, 50 MB by
    // default in all): cap it at a quarter of the budget so the overshoot is bounded whatever
    // the partition count (1 MiB at least: librdkafka wants >= message.max.bytes).
    'fetch.max.bytes': fetchMaxBytes(opts.fetchQueueKb),
    'fetch.wait.max.ms': 100,
    'topic.metadata.refresh.interval.ms': 10_000,
  };
}

export class RawConsumer {
  private readonly consumer: KafkaConsumer;
  private connected = false;
  private closed = false;

  constructor(
    opts: {
      brokers: string;
      groupId: string;
      offsetReset: 'latest' | 'earliest';
      fetchQueueKb: number;
      /** Static group membership (group.instance.id): a restart with the same id gets its partitions back at once. */
      instanceId?: string;
    },
    private readonly hooks: RebalanceHooks,
    private readonly log: Logger,
  ) {
    this.consumer = new KafkaConsumer(
      {
        ...rawConsumerConfig(opts),
        ...(opts.instanceId ? { 'group.instance.id': opts.instanceId } : {}),
        rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(err, assignment),
      },
      { 'auto.offset.reset': opts.offsetReset },
    );
    routeClientLogs(this.consumer, rateLimitedLog(log), { client: 'raw consumer' });
  }

  private onRebalance(err: LibrdKafkaError, assignment: TopicPartition[]): void {
    try {
      if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
        // Assign first: the hook sets each new partition's pause state explicitly, because
        // librdkafka keeps an application pause on a partition across unassign/assign.
        this.consumer.assign(assignment);
        this.hooks.onAssign(assignment);
        this.log.info({ partitions: assignment.map((p) => `${p.topic}[${p.partition}]`) }, 'partitions assigned');
      } else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
        this.hooks.onRevoke(assignment);
        this.consumer.unassign();
        this.log.info({ partitions: assignment.map((p) => `${p.topic}[${p.partition}]`) }, 'partitions revoked');
      } else {
        this.log.error({ err: err.message }, 'rebalance error');
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'rebalance handling failed');
    }
  }

  async connect(topics: string[] | RegExp, timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({ timeout: timeoutMs }, (err) => (err ? reject(err) : resolve())),
    );
    this.connected = true;
    // Stopped while connecting: do not join the group on the way out.
    if (this.closed) {
      await this.disconnect();
      throw new Error('consumer closed while connecting');
    }
    this.consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    // librdkafka treats a subscription starting with ^ as a regex.
    this.consumer.subscribe(topics instanceof RegExp ? [topics.source] : topics);
  }

  get isConnected(): boolean {
    return this.connected && this.consumer.isConnected();
  }

  /** Up to n messages (waits at most the consume timeout). */
  consume(n: number): Promise<Message[]> {
    return new Promise((resolve, reject) =>
      this.consumer.consume(n, (err, messages) => (err ? reject(err) : resolve(messages))),
    );
  }

  commit(offsets: Array<{ topic: string; partition: number; offset: number }>, sync = false): void {
    if (offsets.length === 0) return;
    if (sync) this.consumer.commitSync(offsets);
    else this.consumer.commit(offsets);
  }

  pause(parts: TopicPartition[]): void {
    this.consumer.pause(parts);
  }

  resume(parts: TopicPartition[]): void {
    this.consumer.resume(parts);
  }

  /** The broker's low and high watermarks of a partition. */
  watermarks(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }> {
    return new Promise((resolve, reject) =>
      this.consumer.queryWatermarkOffsets(topic, partition, timeoutMs, (err, w) =>
        err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }),
      ),
    );
  }

  /** The group's committed offsets on the broker (-1 where the group has none). */
  committed(parts: TopicPartition[], timeoutMs: number): Promise<Map<string, number>> {
    return new Promise((resolve, reject) =>
      this.consumer.committed(parts, timeoutMs, (err, tps) => {
        if (err) return reject(err);
        resolve(new Map(tps.map((tp) => [partitionKey(tp.topic, tp.partition), tp.offset ?? -1])));
      }),
    );
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    if (!this.connected) return;
    this.connected = false;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}
