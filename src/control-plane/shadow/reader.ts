/**
 * Keeps the shadow reports current: one consumer per control-plane replica reads the shadow
 * evidence topic from its start (a group of its own, nothing committed, so every replica holds the
 * same tallies) and folds each event into ShadowTallies as it arrives. A report then waits only
 * until the consumer has reached the high watermarks taken when the request came (read-your-writes
 * for evidence produced before it), and sums per-minute tallies: it does not re-read the topic.
 *
 * Started by the first report request, so a control plane nobody asks for shadow reports runs no
 * consumer; that first request waits for one read of the topic (its retention bounds it: set it to
 * the trial period, docs/api.md "Shadow policies"). Memory: one tally per (dataset, candidate
 * version, minute of evidence).
 */
import { randomUUID } from 'node:crypto';
import { CODES, KafkaConsumer, type LibrdKafkaError, type Message } from '../../common/kafka.js';
import { rateLimitedLog, routeClientLogs } from '../../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../../common/kafka-security.js';
import type { Logger } from '../../common/logger.js';
import { parseShadowEvidence, type ShadowReport, ShadowTallies } from './report.js';

export interface ShadowEvidenceSource {
  /** The candidate's report over every shadow evidence event on the topic now; throws when Kafka cannot be read in time. */
  report(urn: string, shadowVersion: number, since: string): Promise<ShadowReport>;
}

const cb =
  <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
  (err: unknown, v: T) =>
    err
      ? reject(err instanceof Error ? err : new Error(String((err as { message?: string }).message ?? err)))
      : resolve(v);

const CONSUME_BATCH = 1000;
const CONSUME_TIMEOUT_MS = 200;
const POLL_MS = 50;

export interface ShadowFeedOptions {
  brokers: string;
  topic: string;
  logger: Logger;
  /** How long a report may wait for the consumer to reach the topic's end. */
  timeoutMs?: number;
}

export class ShadowFeed implements ShadowEvidenceSource {
  readonly tallies = new ShadowTallies();
  /** Next offset to read, per partition: what the tallies hold. */
  private readonly positions = new Map<number, number>();
  private consumer: KafkaConsumer | undefined;
  private starting: Promise<KafkaConsumer> | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private failure: Error | undefined;

  constructor(private readonly o: ShadowFeedOptions) {}

  async report(urn: string, shadowVersion: number, since: string): Promise<ShadowReport> {
    const timeoutMs = this.o.timeoutMs ?? 20_000;
    const c = await this.start(timeoutMs);
    const ends = await this.ends(c, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    while (![...ends].every(([p, end]) => (this.positions.get(p) ?? 0) >= end)) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`reading ${this.o.topic} took longer than ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return this.tallies.report(urn, shadowVersion, since);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    const c = this.consumer;
    if (c) await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }

  private start(timeoutMs: number): Promise<KafkaConsumer> {
    // A failed start is retried by the next request.
    this.starting ??= this.connect(timeoutMs).catch((err: Error) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async connect(timeoutMs: number): Promise<KafkaConsumer> {
    const c = new KafkaConsumer(
      {
        'metadata.broker.list': this.o.brokers,
        ...kafkaSecurityConfig(),
        // Its own group: every replica reads every partition; nothing is committed.
        'group.id': `signal-factory-shadow-report-${randomUUID()}`,
        'enable.auto.commit': false,
        'client.id': 'signal-factory-control-plane-shadow',
        'topic.metadata.refresh.interval.ms': 10_000,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    routeClientLogs(c, rateLimitedLog(this.o.logger), { client: 'shadow evidence consumer' });
    try {
      await new Promise<unknown>((resolve, reject) => c.connect({ timeout: timeoutMs }, cb(resolve, reject)));
    } catch (err) {
      await new Promise<void>((resolve) => c.disconnect(() => resolve()));
      throw err;
    }
    c.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    c.subscribe([this.o.topic]);
    this.consumer = c;
    this.loop = this.consume(c).catch((err: Error) => {
      this.failure = err;
      this.o.logger.error({ err, topic: this.o.topic }, 'shadow evidence consumer stopped');
    });
    this.o.logger.info({ topic: this.o.topic }, 'shadow evidence consumer started');
    return c;
  }

  /** The high watermark of every non-empty partition of the topic now. */
  private async ends(c: KafkaConsumer, timeoutMs: number): Promise<Map<number, number>> {
    const meta = await new Promise<{ topics: Array<{ name: string; partitions: Array<{ id: number }> }> }>(
      (resolve, reject) => c.getMetadata({ topic: this.o.topic, timeout: timeoutMs }, cb(resolve, reject) as never),
    );
    const ends = new Map<number, number>();
    for (const p of meta.topics.find((t) => t.name === this.o.topic)?.partitions ?? []) {
      const w = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
        c.queryWatermarkOffsets(this.o.topic, p.id, timeoutMs, cb(resolve, reject) as never),
      );
      if (w.highOffset > w.lowOffset) ends.set(p.id, w.highOffset);
    }
    return ends;
  }

  private async consume(c: KafkaConsumer): Promise<void> {
    let invalid = 0;
    while (!this.stopped) {
      let batch: Message[];
      try {
        batch = await new Promise<Message[]>((resolve, reject) => c.consume(CONSUME_BATCH, cb(resolve, reject)));
      } catch (err) {
        const e = err as LibrdKafkaError;
        // The topic may not exist until an enforcer emits shadow evidence: reports are then empty.
        if (e.code !== CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART && e.code !== CODES.ERRORS.ERR__UNKNOWN_TOPIC) {
          this.o.logger.warn({ err: e.message, topic: this.o.topic }, 'shadow evidence consumer error');
        }
        await new Promise((r) => setTimeout(r, CONSUME_TIMEOUT_MS));
        continue;
      }
      for (const m of batch) {
        const e = m.value ? parseShadowEvidence(m.value.toString('utf8')) : undefined;
        if (e) this.tallies.add(e);
        else if (invalid++ === 0)
          this.o.logger.warn({ topic: this.o.topic }, 'skipping values that are not shadow evidence');
        this.positions.set(m.partition, m.offset + 1);
      }
    }
  }
}
