/**
 * The evidence archive: every evidence event, PASS included, from `signal_factory.evidence` to S3
 * as GZIP Parquet, partitioned dt/hour/dataset (layout.ts), in its own consumer group.
 *
 * At-least-once, no loss across restarts, no duplicates after a crash:
 *  - one batch at a time: collect up to SF_ARCHIVE_BATCH_EVENTS events or SF_ARCHIVE_BATCH_MS, put
 *    every file of the batch, and only then commit the batch's offsets (synchronously) before
 *    consuming more. A failed put is retried a few times, then the process fails loudly with
 *    nothing committed, so a restart writes the batch again;
 *  - object keys are deterministic (evidence partition + first offset of the file, layout.ts), so
 *    that rewrite overwrites what the crashed run wrote instead of adding a second copy;
 *  - a rebalance is served only inside consume(), i.e. while collecting, never while writing: the
 *    revoked partitions' buffered events are dropped there (their new owner resumes at the committed
 *    offset and writes the same keys), so two members never write one partition's files.
 *    max.poll.interval.ms bounds a batch's write (puts give up well before it).
 *
 * Scale-out: N processes in one group share the evidence partitions; object keys carry the
 * partition, so two members never write the same key. Throughput (perf/archive.ts, perf/README.md):
 * the time goes to JSON.parse + the evidence check (~1/3), Parquet encoding + GZIP (~1/2), the rest
 * to consume and the S3 client; puts overlap the encoding of the next files.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CODES, KafkaConsumer, type LibrdKafkaError, type Message, type TopicPartition } from '../common/kafka.js';
import { rateLimitedLog, routeClientLogs } from '../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../common/kafka-security.js';
import type { Logger } from '../common/logger.js';
import { parseEvidence } from '../control-plane/evidence/consumer.js';
import { totalLag } from '../signals/fold-stage.js';
import { type ArchiveLocation, type FileGroup, groupOf, objectKey } from './layout.js';
import { type ArchiveMetrics, archiveMetrics } from './metrics.js';
import { type ArchiveRow, encodeRows, toRow } from './parquet.js';

export interface ArchiverOptions {
  brokers: string;
  topic: string;
  groupId: string;
  location: ArchiveLocation;
  s3: S3Client;
  batchEvents: number;
  batchMs: number;
  logger: Logger;
  /** Backoff base between put attempts [500 ms]. */
  putRetryMs?: number;
  /** Prometheus metrics [a registry of its own]. */
  metrics?: ArchiveMetrics;
  /** After each committed batch (tests, benchmark). */
  onBatch?: (b: { events: number; files: number; bytes: number }) => void;
}

const CONSUME_MAX = 10_000;
const CONSUME_TIMEOUT_MS = 200;
const PUT_ATTEMPTS = 5;
const PUT_CONCURRENCY = 4;
const MAX_POLL_INTERVAL_MS = 300_000;
/** Prefetch bound per process (librdkafka's default is 64 MB): a batch already holds 100k events. */
const PREFETCH_KBYTES = 32_768;
const STATS_INTERVAL_MS = 5_000;

export interface ArchiveFile {
  key: string;
  rows: ArchiveRow[];
}

/** A batch's files: one per (evidence partition, dt, hour, dataset), named by its first offset. */
export function filesOf(location: ArchiveLocation, batch: readonly ArchiveRow[]): ArchiveFile[] {
  const files = new Map<string, { group: FileGroup; partition: number; rows: ArchiveRow[] }>();
  for (const a of batch) {
    const group = groupOf(a.timestamp, a.dataset);
    // '/' cannot occur in dt, hour or an escaped dataset: the id is unambiguous.
    const id = `${a.partition}/${group.dt}/${group.hour}/${group.dataset}`;
    let f = files.get(id);
    if (!f) {
      f = { group, partition: a.partition, rows: [] };
      files.set(id, f);
    }
    f.rows.push(a);
  }
  return [...files.values()].map((f) => {
    f.rows.sort((a, b) => a.offset - b.offset);
    return { key: objectKey(location, f.group, f.partition, f.rows[0].offset), rows: f.rows };
  });
}

export class EvidenceArchiver {
  private readonly consumer: KafkaConsumer;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Buffered events per evidence partition, and the next offset to commit for each. */
  private buffer = new Map<number, { rows: ArchiveRow[]; next: number }>();
  private rejected = 0;
  private connected = false;
  private failed: Error | undefined;
  readonly metrics: ArchiveMetrics;

  constructor(private readonly o: ArchiverOptions) {
    this.metrics = o.metrics ?? archiveMetrics();
    this.consumer = new KafkaConsumer(
      {
        'metadata.broker.list': o.brokers,
        ...kafkaSecurityConfig(),
        'group.id': o.groupId,
        'client.id': 'signal-factory-archive',
        'enable.auto.commit': false,
        'max.poll.interval.ms': MAX_POLL_INTERVAL_MS,
        'queued.max.messages.kbytes': PREFETCH_KBYTES,
        'statistics.interval.ms': STATS_INTERVAL_MS,
        log_level: 6,
        rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(err, assignment),
      },
      { 'auto.offset.reset': 'earliest' },
    );
    routeClientLogs(this.consumer, rateLimitedLog(o.logger), { client: 'archive consumer' });
    this.consumer.on('event.stats', (st: { message: string }) => this.metrics.lag.set(totalLag(st.message)));
  }

  /** Ready once connected and subscribed, until a batch could not be written (the process then exits). */
  readiness(): { ready: boolean; reasons: string[] } {
    if (this.failed) return { ready: false, reasons: [`a batch could not be written: ${this.failed.message}`] };
    return this.connected ? { ready: true, reasons: [] } : { ready: false, reasons: ['connecting to Kafka'] };
  }

  private onRebalance(err: LibrdKafkaError, assignment: TopicPartition[]): void {
    if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.consumer.assign(assignment);
      this.metrics.assigned.set(assignment.length);
      this.o.logger.info({ partitions: assignment.map((p) => p.partition) }, 'archive partitions assigned');
    } else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      // Never write a revoked partition's events: its new owner starts at the committed offset.
      for (const p of assignment) this.buffer.delete(p.partition);
      this.consumer.unassign();
      this.metrics.assigned.set(0);
      this.o.logger.info({ partitions: assignment.map((p) => p.partition) }, 'archive partitions revoked');
    } else {
      this.o.logger.error({ err: err.message }, 'archive rebalance error');
    }
  }

  async start(timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({ timeout: timeoutMs }, (err) => (err ? reject(err) : resolve())),
    );
    this.consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    this.consumer.subscribe([this.o.topic]);
    this.connected = true;
    this.o.logger.info(
      { topic: this.o.topic, groupId: this.o.groupId, bucket: this.o.location.bucket, prefix: this.o.location.prefix },
      'evidence archive started',
    );
  }

  /** Runs until stop(); rejects (nothing committed for the batch at hand) when a batch cannot be written. */
  run(): Promise<void> {
    this.loop ??= this.runLoop().catch((err: Error) => {
      this.failed = err;
      throw err;
    });
    return this.loop;
  }

  /** Writes and commits what is buffered, then disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
    await new Promise<void>((r) => this.consumer.disconnect(() => r()));
  }

  private buffered(): number {
    let n = 0;
    for (const b of this.buffer.values()) n += b.rows.length;
    return n;
  }

  private async runLoop(): Promise<void> {
    let firstAt = 0;
    while (!this.stopped) {
      const room = this.o.batchEvents - this.buffered();
      const msgs = await new Promise<Message[]>((res, rej) =>
        this.consumer.consume(Math.min(CONSUME_MAX, Math.max(1, room)), (e, m) => (e ? rej(e) : res(m))),
      ).catch((err: LibrdKafkaError) => {
        // E.g. the topic does not exist yet: librdkafka keeps trying; say so, at most this often.
        this.o.logger.warn({ err: err.message }, 'archive consume error');
        return [] as Message[];
      });
      for (const m of msgs) this.add(m);
      const n = this.buffered();
      if (n > 0 && firstAt === 0) firstAt = Date.now();
      if (n >= this.o.batchEvents || (n > 0 && Date.now() - firstAt >= this.o.batchMs)) {
        await this.flush();
        firstAt = 0;
      } else if (n === 0 && this.buffer.size > 0) {
        await this.flush(); // only non-evidence values: still commit past them
      }
    }
    if (this.buffer.size > 0) await this.flush();
  }

  private add(m: Message): void {
    let b = this.buffer.get(m.partition);
    if (!b) {
      b = { rows: [], next: m.offset + 1 };
      this.buffer.set(m.partition, b);
    }
    b.next = m.offset + 1;
    const event = parseEvidence(m.value);
    if (event) b.rows.push(toRow({ event, raw: m.value ?? undefined, partition: m.partition, offset: m.offset }));
    else {
      this.metrics.rejected.inc();
      if (this.rejected++ === 0)
        this.o.logger.warn({ topic: this.o.topic }, 'skipping values that are not evidence events');
    }
  }

  private async flush(): Promise<void> {
    const started = performance.now();
    const batch = this.buffer;
    this.buffer = new Map();
    const rows = [...batch.values()].flatMap((b) => b.rows);
    const files = filesOf(this.o.location, rows);
    const bytes = await this.putAll(files);
    // Only after every put: a crash before this line rewrites the same keys on restart.
    const offsets = [...batch].map(([partition, b]) => ({ topic: this.o.topic, partition, offset: b.next }));
    this.consumer.commitSync(offsets);
    const m = this.metrics;
    m.events.inc(rows.length);
    m.files.inc(files.length);
    m.bytes.inc(bytes);
    m.batches.inc();
    m.batchSeconds.observe((performance.now() - started) / 1000);
    m.lastCommit.set(Date.now() / 1000);
    this.o.logger.debug({ events: rows.length, files: files.length, bytes }, 'archive batch committed');
    this.o.onBatch?.({ events: rows.length, files: files.length, bytes });
  }

  /**
   * Encodes and puts every file, up to PUT_CONCURRENCY puts in flight: the next file is encoded (on
   * this thread) while earlier puts wait on S3. After a failure no new put starts, and the call
   * settles only when every started put has (a late put of a failed batch could otherwise
   * overwrite a newer file written after the restart).
   */
  private async putAll(files: readonly ArchiveFile[]): Promise<number> {
    const inFlight = new Set<Promise<unknown>>();
    let bytes = 0;
    let failure: unknown;
    for (const f of files) {
      if (failure) break;
      const body = new Uint8Array(encodeRows(f.rows));
      const p: Promise<unknown> = this.put(f.key, body).then(
        () => {
          bytes += body.byteLength;
        },
        (err) => {
          failure ??= err;
        },
      );
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
      if (inFlight.size >= PUT_CONCURRENCY) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    return bytes;
  }

  private async put(key: string, body: Uint8Array): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.s3.send(
          new PutObjectCommand({
            Bucket: this.o.location.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/vnd.apache.parquet',
          }),
        );
        return;
      } catch (err) {
        if (attempt >= PUT_ATTEMPTS) {
          throw new Error(
            `archive put s3://${this.o.location.bucket}/${key} failed ${attempt} times: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
        this.metrics.putRetries.inc();
        this.o.logger.warn({ key, attempt, err: (err as Error).message }, 'archive put failed; retrying');
        await new Promise((r) => setTimeout(r, (this.o.putRetryMs ?? 500) * 2 ** (attempt - 1)));
      }
    }
  }
}
