/**
 * Fills the evidence index from `signal_factory.evidence` (SF_EVIDENCE_TOPIC) inside the
 * control plane. Offsets are stored only after a batch is in the index (auto-commit sends the
 * stored ones). The index's own checkpoint, not the committed offset, says what is counted: what
 * is below it is skipped, and re-emitted evidence is not counted again (count-dedup.ts), so a crash
 * between insert and commit, or an enforcer's re-send, replays harmlessly.
 *
 * Connecting is retried with a bounded exponential backoff, one log line per attempt, so an
 * outage at start costs a few lines a minute, not a flood. Once connected, librdkafka reconnects
 * by itself; its statistics (every STATS_INTERVAL_MS) say whether a broker is up and how far
 * behind the index is. status() is what /readyz, /metrics and GET /v1/evidence report.
 */

import { Compile } from 'typebox/compile';
import { CODES, KafkaConsumer, type LibrdKafkaError, type Message } from '../../common/kafka.js';
import { type RateLimitedLog, rateLimitedLog, routeClientLogs } from '../../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../../common/kafka-security.js';
import type { Logger } from '../../common/logger.js';
import { EvidenceEvent } from '../../models/index.js';
import { CountDedup } from './count-dedup.js';
import type { EvidenceIndex } from './index-store.js';
import { backoffMs, type IndexFacts, type IndexState, type IndexStatus, indexState, readStats } from './status.js';

const checkEvidence = Compile(EvidenceEvent);

/** Parses one message value; undefined when it is not an evidence event. */
export function parseEvidence(value: Buffer | null | undefined): EvidenceEvent | undefined {
  if (!value) return undefined;
  try {
    const v: unknown = JSON.parse(value.toString('utf8'));
    return checkEvidence.Check(v) ? (v as EvidenceEvent) : undefined;
  } catch {
    return undefined;
  }
}

export interface EvidenceIndexerOptions {
  brokers: string;
  topic: string;
  groupId: string;
  index: EvidenceIndex;
  logger: Logger;
  /** One connection attempt's bound (librdkafka's metadata request). */
  connectTimeoutMs?: number;
  retryFirstMs?: number;
  retryMaxMs?: number;
  onIndexed?: (added: number, rejected: number) => void;
}

const STATS_INTERVAL_MS = 2000;
const CONSUME_BATCH = 1000;
const CONSUME_TIMEOUT_MS = 500;
/** A wait that stop() can cut short (it calls wake.fn). */
const sleep = (ms: number, wake: { fn?: () => void }) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    wake.fn = () => {
      clearTimeout(t);
      resolve();
    };
  });

export class EvidenceIndexer {
  private readonly facts: IndexFacts = {
    connected: false,
    everConnected: false,
    connectFailed: false,
    brokerUp: false,
    topicMissing: false,
    lag: null,
  };
  private attempts = 0;
  private lastError: string | null = null;
  private state: IndexState = 'starting';
  private since = new Date().toISOString();
  private stopped = false;
  private readonly wake: { fn?: () => void } = {};
  private loop: Promise<void> | undefined;
  /** Shared by every connection attempt's client, so retries do not reset the limit. */
  private readonly clientLog: RateLimitedLog;
  /** Partitions assigned now; a batch's messages of others were revoked meanwhile (their new owner reads them). */
  private readonly assigned = new Set<number>();
  /** The counting state of the current connection (a new connection reloads the checkpoints). */
  private dedup: CountDedup | undefined;

  constructor(private readonly o: EvidenceIndexerOptions) {
    this.clientLog = rateLimitedLog(o.logger);
  }

  /** Starts the connect/consume loop in the background; it never throws. */
  start(): this {
    this.loop ??= this.run().catch((err) => {
      this.lastError = (err as Error).message;
      this.o.logger.error({ err }, 'evidence index consumer stopped on an unexpected error');
      this.facts.connected = false;
      this.refresh();
    });
    return this;
  }

  status(): IndexStatus {
    this.refresh();
    return {
      state: this.state,
      lag: this.facts.lag,
      last_error: this.lastError,
      attempts: this.attempts,
      ever_connected: this.facts.everConnected,
      since: this.since,
    };
  }

  /** Stops consuming and disconnects; bounded so an unreachable broker cannot hold shutdown. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true;
    this.wake.fn?.();
    if (!this.loop) return;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private refresh(): void {
    const next = indexState(this.facts);
    if (next === this.state) return;
    const quiet = (s: IndexState) => s === 'live' || s === 'catching-up';
    const lvl = quiet(next) && quiet(this.state) ? 'debug' : next === 'unavailable' ? 'warn' : 'info';
    this.o.logger[lvl](
      { from: this.state, to: next, lag: this.facts.lag, last_error: this.lastError },
      'evidence index state changed',
    );
    this.state = next;
    this.since = new Date().toISOString();
  }

  private create(): KafkaConsumer {
    const c = new KafkaConsumer(
      {
        'metadata.broker.list': this.o.brokers,
        ...kafkaSecurityConfig(),
        'group.id': this.o.groupId,
        'client.id': 'signal-factory-control-plane-evidence-index',
        'enable.auto.commit': true,
        'enable.auto.offset.store': false,
        'statistics.interval.ms': STATS_INTERVAL_MS,
        // A topic created after we subscribed (the enforcer creates it) is found within this.
        'topic.metadata.refresh.interval.ms': 10_000,
        log_level: 6,
        rebalance_cb: (err: LibrdKafkaError, assignment: Array<{ topic: string; partition: number }>) => {
          if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
            for (const a of assignment) this.assigned.add(a.partition);
            c.assign(assignment);
          } else {
            const revoked = assignment.map((a) => a.partition);
            for (const p of revoked) this.assigned.delete(p);
            this.dedup?.forget(revoked);
            c.unassign();
          }
        },
      },
      { 'auto.offset.reset': 'earliest' },
    );
    routeClientLogs(c, this.clientLog, { client: 'evidence index consumer' });
    c.on('event.error', (e: LibrdKafkaError) => {
      this.lastError = e.message;
    });
    c.on('event.stats', (s: { message: string }) => {
      const r = readStats(s.message, this.o.topic);
      this.facts.brokerUp = r.brokerUp;
      if (r.partitions > 0) this.facts.topicMissing = false;
      if (r.lag !== null || r.partitions === 0) this.facts.lag = r.lag;
      if (r.brokerUp && !this.facts.topicMissing) this.lastError = null;
      this.refresh();
    });
    return c;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      this.attempts++;
      this.assigned.clear();
      const c = this.create();
      try {
        await new Promise<void>((resolve, reject) =>
          c.connect({ timeout: this.o.connectTimeoutMs ?? 5000 }, (err) => (err ? reject(err) : resolve())),
        );
      } catch (err) {
        await new Promise<void>((r) => c.disconnect(() => r()));
        if (this.stopped) break;
        failures++;
        const wait = backoffMs(failures, this.o.retryFirstMs, this.o.retryMaxMs);
        this.lastError = `cannot reach ${this.o.brokers}: ${(err as Error).message}`;
        this.facts.connectFailed = true;
        this.refresh();
        this.o.logger.warn(
          { brokers: this.o.brokers, attempt: this.attempts, retry_in_ms: wait, err: (err as Error).message },
          'evidence index cannot reach the brokers; retrying',
        );
        await sleep(wait, this.wake);
        continue;
      }
      failures = 0;
      Object.assign(this.facts, { connected: true, everConnected: true, connectFailed: false, brokerUp: true });
      this.lastError = null;
      this.refresh();
      this.o.logger.info({ topic: this.o.topic, groupId: this.o.groupId }, 'evidence index consumer started');
      try {
        c.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
        c.subscribe([this.o.topic]);
        await this.consume(c);
      } catch (err) {
        // E.g. the index file failed: the batch's offsets were not stored, so it comes again after a reconnect.
        failures++;
        this.lastError = `indexing failed: ${(err as Error).message}`;
        this.o.logger.error({ err, attempt: this.attempts }, 'evidence index consumer failed; reconnecting');
      }
      this.facts.connected = false;
      this.refresh();
      await new Promise<void>((r) => c.disconnect(() => r()));
      if (failures > 0) await sleep(backoffMs(failures, this.o.retryFirstMs, this.o.retryMaxMs), this.wake);
    }
  }

  private async consume(c: KafkaConsumer): Promise<void> {
    let rejectedTotal = 0;
    const dedup = new CountDedup(
      this.o.topic,
      (topic, p) => this.o.index.checkpoint(topic, p),
      (p) => this.assigned.has(p),
    );
    this.dedup = dedup;
    while (!this.stopped) {
      let batch: Message[];
      try {
        batch = await new Promise<Message[]>((res, rej) => c.consume(CONSUME_BATCH, (e, m) => (e ? rej(e) : res(m))));
      } catch (err) {
        const e = err as LibrdKafkaError;
        this.lastError = e.message;
        if (e.code === CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART || e.code === CODES.ERRORS.ERR__UNKNOWN_TOPIC) {
          this.facts.topicMissing = true;
          this.lastError = `topic ${this.o.topic} does not exist (yet)`;
        }
        this.refresh();
        await sleep(CONSUME_TIMEOUT_MS, this.wake);
        continue;
      }
      await dedup.prepare(new Set(batch.map((m) => m.partition)));
      // After the await: a partition revoked meanwhile is left to its new owner.
      const mine = batch.filter((m) => this.assigned.has(m.partition));
      const { events, next, touched, rejected } = dedup.decideBatch(mine, parseEvidence);
      if (rejected > 0 && rejectedTotal === 0) {
        this.o.logger.warn({ topic: this.o.topic }, 'skipping values that are not evidence events');
      }
      rejectedTotal += rejected;
      const added = touched.size > 0 ? (await this.o.index.insert(events, dedup.checkpoints(touched))).counted : 0;
      const stored = [...next].filter(([p]) => this.assigned.has(p));
      c.offsetsStore(stored.map(([partition, offset]) => ({ topic: this.o.topic, partition, offset })));
      this.o.onIndexed?.(added, rejected);
    }
  }
}
