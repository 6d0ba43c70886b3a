/**
 * Stage 1: consumes `signal_factory.evidence` in the engine's group, folds each batch into
 * partials (fold.ts) and publishes them to the partials topic keyed (and partitioned) by dataset.
 * The partials and the consumed offsets go in one Kafka transaction, so a crash anywhere yields
 * each evidence span in the partials topic exactly once (stage 2 reads read_committed). Any
 * transaction failure is fatal: the process exits and its successor resumes from the committed
 * offsets, which is the safe recovery for a fenced or aborted transaction.
 */
import type { KafkaConsumer, LibrdKafkaError, Message, Producer } from '../common/kafka.js';
import type { RateLimitedLog } from '../common/kafka-logs.js';
import type { Logger } from '../common/logger.js';
import { parseEvidence } from '../control-plane/evidence/consumer.js';
import type { SignalsConfig } from './config.js';
import { Folder } from './fold.js';
import {
  CODES,
  clientStats,
  committed,
  connect,
  consume,
  disconnect,
  newConsumer,
  newProducer,
  ownerPartition,
  readRange,
  watermarks,
} from './kafka-io.js';
import type { SignalsMetrics } from './metrics.js';

/** Messages per consume call (see run()). */
const CONSUME_CHUNK = 1000;

const call = (f: (cb: (e: LibrdKafkaError) => void) => void) =>
  new Promise<void>((res, rej) => f((e) => (e ? rej(new Error(e.message)) : res())));

export class FoldStage {
  private consumer: KafkaConsumer | undefined;
  private producer: Producer | undefined;
  private readonly folder: Folder;
  private readonly pendingAssigned = new Set<number>();
  private readonly assigned = new Set<number>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private fail: (e: Error) => void = () => {};
  readonly failure = new Promise<Error>((r) => {
    this.fail = r;
  });

  constructor(
    private readonly cfg: SignalsConfig,
    private readonly log: Logger,
    private readonly clientLog: RateLimitedLog,
    private readonly metrics: SignalsMetrics,
    private readonly partialsPartitions: number,
  ) {
    this.folder = new Folder(cfg.window.bucketMs);
  }

  private io(clientId: string) {
    return { brokers: this.cfg.brokers, clientId, log: this.clientLog, fetchQueueKb: this.cfg.fetchQueueKb };
  }

  async start(): Promise<void> {
    const p = newProducer(
      {
        ...this.io('signal-factory-signals-fold'),
        stats: (s) => this.metrics.queued.set({ client: 'fold-producer' }, s.queuedBytes),
      },
      {
        // Unique per process: KIP-447 fencing goes by the group generation sent with the offsets.
        'transactional.id': `${this.cfg.groupId}.fold.${this.cfg.instanceId}`,
        'transaction.timeout.ms': this.cfg.transactionTimeoutMs,
      },
    );
    this.producer = p;
    await connect(p, 10_000);
    await call((cb) => p.initTransactions(30_000, cb));
    const c = newConsumer(
      {
        ...this.io('signal-factory-signals-fold'),
        groupId: this.cfg.groupId,
        stats: (s) => {
          this.metrics.lag.set({ stage: 'fold' }, s.lag);
          this.metrics.queued.set({ client: 'fold-consumer' }, s.queuedBytes);
        },
      },
      {
        rebalance_cb: (err: { code: number }, assignment: Array<{ topic: string; partition: number }>) => {
          if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
            for (const a of assignment) {
              this.assigned.add(a.partition);
              this.pendingAssigned.add(a.partition);
            }
            c.assign(assignment);
          } else {
            for (const a of assignment) {
              this.assigned.delete(a.partition);
              this.pendingAssigned.delete(a.partition);
              this.folder.forget(a.partition);
            }
            c.unassign();
          }
          this.metrics.assigned.set({ stage: 'fold' }, this.assigned.size);
        },
        'session.timeout.ms': this.cfg.sessionTimeoutMs,
      },
    );
    this.consumer = c;
    await connect(c, 10_000);
    c.subscribe([this.cfg.evidenceTopic]);
    this.loop = this.run().catch((e: Error) => {
      if (!this.stopped) this.fail(e);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (this.consumer) await disconnect(this.consumer);
    if (this.producer) await disconnect(this.producer);
  }

  /**
   * One transaction per SF_SIGNALS_BATCH_SIZE events or SF_SIGNALS_BATCH_WAIT_MS, whichever comes
   * first, consumed in chunks of CONSUME_CHUNK: only a chunk's messages are alive at once, so
   * memory does not follow the batch size, while transactions stay large (each costs ~10 ms).
   */
  private async run(): Promise<void> {
    const c = this.consumer!;
    while (!this.stopped) {
      const until = Date.now() + this.cfg.batchWaitMs;
      let n = 0;
      while (!this.stopped && n < this.cfg.batchSize) {
        c.setDefaultConsumeTimeout(Math.max(1, until - Date.now()));
        const chunk = await consume(c, Math.min(CONSUME_CHUNK, this.cfg.batchSize - n));
        if (this.pendingAssigned.size > 0) await this.rebuildDedup([...this.pendingAssigned]);
        n += chunk.length;
        this.fold(chunk);
        if (Date.now() >= until) break;
      }
      if (n > 0 && !this.stopped) await this.publish();
    }
  }

  private fold(chunk: Message[]): void {
    let invalid = 0;
    for (const m of chunk) {
      if (!this.assigned.has(m.partition)) continue; // revoked meanwhile: its new owner reads it
      const e = parseEvidence(m.value);
      if (e) this.folder.add(e, m.partition, m.offset);
      else invalid++;
    }
    if (invalid > 0) this.metrics.invalid.inc({ topic: this.cfg.evidenceTopic }, invalid);
  }

  /** One transaction: the partials and the offsets they account for. */
  private async publish(): Promise<void> {
    const { partials, commit } = this.folder.drain(Date.now());
    if (commit.length === 0) return;
    const p = this.producer!;
    await call((cb) => p.beginTransaction(cb));
    for (const x of partials) {
      p.produce(
        this.cfg.partialsTopic,
        ownerPartition(x.dataset_urn, this.partialsPartitions),
        Buffer.from(JSON.stringify(x)),
        Buffer.from(x.dataset_urn),
        x.folded_at,
      );
    }
    const offsets = commit.map((o) => ({ topic: this.cfg.evidenceTopic, ...o }));
    await call((cb) => p.sendOffsetsToTransaction(offsets, this.consumer!, 30_000, cb));
    await call((cb) => p.commitTransaction(30_000, cb));
    const s = this.folder.stats;
    this.metrics.folded.inc(s.folded);
    this.metrics.duplicates.inc(s.duplicates);
    this.metrics.unresolved.inc(s.unresolved);
    s.folded = s.duplicates = s.unresolved = 0;
    this.metrics.transactions.inc();
  }

  /**
   * A newly assigned partition's dedup state: the raw offsets of the last SF_SIGNALS_DEDUP_LOOKBACK
   * evidence events before the committed offset (read, not counted).
   */
  private async rebuildDedup(partitions: number[]): Promise<void> {
    const topic = this.cfg.evidenceTopic;
    const done = await committed(this.consumer!, topic, partitions);
    for (const partition of partitions) {
      this.pendingAssigned.delete(partition);
      const to = done.get(partition);
      if (to === undefined || this.cfg.dedupLookback === 0) continue;
      const { lowOffset } = await watermarks(this.consumer!, topic, partition);
      const from = Math.max(lowOffset, to - this.cfg.dedupLookback);
      const w = this.folder.watermarksOf(partition);
      const n = await readRange(this.io('signal-factory-signals-dedup'), topic, partition, from, to, (m: Message) => {
        const e = parseEvidence(m.value);
        if (e) w.admit(e.source.raw_topic, e.source.partition, e.source.offset);
      });
      this.log.info({ partition, from, to, read: n, raw_partitions: w.size() }, 'dedup state rebuilt');
    }
  }
}

/** Sum of consumer_lag over the assigned partitions in a librdkafka statistics message (the archiver uses it too). */
export function totalLag(stats: string): number {
  return clientStats(stats).lag;
}
