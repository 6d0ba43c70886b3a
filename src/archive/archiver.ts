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
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CODES, KafkaConsumer, type LibrdKafkaError, type Message, type TopicPartition } from '../common/kafka.js';
import { rateLimitedLog, routeClientLogs } from '../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../common/kafka-security.js';
import type { Logger } from '../common/logger.js';
import { parseEvidence } from '../control-plane/evidence/consumer.js';
import { type ArchiveLocation, type FileGroup, groupOf, objectKey } from './layout.js';
import { type ArchivedEvidence, toParquet } from './parquet.js';

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
  /** After each committed batch (tests, benchmark). */
  onBatch?: (b: { events: number; files: number; bytes: number }) => void;
}

const CONSUME_MAX = 10_000;
const CONSUME_TIMEOUT_MS = 200;
const PUT_ATTEMPTS = 5;
const PUT_CONCURRENCY = 4;
const MAX_POLL_INTERVAL_MS = 300_000;

export interface ArchiveFile {
  key: string;
  rows: ArchivedEvidence[];
}

/** A batch's files: one per (evidence partition, dt, hour, dataset), named by its first offset. */
export function filesOf(location: ArchiveLocation, batch: readonly ArchivedEvidence[]): ArchiveFile[] {
  const files = new Map<string, { group: FileGroup; partition: number; rows: ArchivedEvidence[] }>();
  for (const a of batch) {
    const group = groupOf(a.event.timestamp, a.event.dataset_urn);
    const id = JSON.stringify([a.partition, group.dt, group.hour, group.dataset]);
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
  private buffer = new Map<number, { rows: ArchivedEvidence[]; next: number }>();
  private rejected = 0;

  constructor(private readonly o: ArchiverOptions) {
    this.consumer = new KafkaConsumer(
      {
        'metadata.broker.list': o.brokers,
        ...kafkaSecurityConfig(),
        'group.id': o.groupId,
        'client.id': 'signal-factory-archive',
        'enable.auto.commit': false,
        'max.poll.interval.ms': MAX_POLL_INTERVAL_MS,
        log_level: 6,
        rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(err, assignment),
      },
      { 'auto.offset.reset': 'earliest' },
    );
    routeClientLogs(this.consumer, rateLimitedLog(o.logger), { client: 'archive consumer' });
  }

  private onRebalance(err: LibrdKafkaError, assignment: TopicPartition[]): void {
    if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.consumer.assign(assignment);
      this.o.logger.info({ partitions: assignment.map((p) => p.partition) }, 'archive partitions assigned');
    } else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      // Never write a revoked partition's events: its new owner starts at the committed offset.
      for (const p of assignment) this.buffer.delete(p.partition);
      this.consumer.unassign();
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
    this.o.logger.info(
      { topic: this.o.topic, groupId: this.o.groupId, bucket: this.o.location.bucket, prefix: this.o.location.prefix },
      'evidence archive started',
    );
  }

  /** Runs until stop(); rejects (nothing committed for the batch at hand) when a batch cannot be written. */
  run(): Promise<void> {
    this.loop ??= this.runLoop();
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
    if (event) b.rows.push({ event, raw: m.value ?? undefined, partition: m.partition, offset: m.offset });
    else if (this.rejected++ === 0)
      this.o.logger.warn({ topic: this.o.topic }, 'skipping values that are not evidence events');
  }

  private async flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = new Map();
    const rows = [...batch.values()].flatMap((b) => b.rows);
    const files = filesOf(this.o.location, rows);
    let bytes = 0;
    // A few puts in flight hide S3's latency; encoding stays on this thread, one file at a time.
    // allSettled: no put of a failed batch may outlive it (a late one could overwrite a newer file).
    for (let i = 0; i < files.length; i += PUT_CONCURRENCY) {
      const settled = await Promise.allSettled(files.slice(i, i + PUT_CONCURRENCY).map((f) => this.put(f)));
      for (const r of settled) {
        if (r.status === 'rejected') throw r.reason;
        bytes += r.value;
      }
    }
    // Only after every put: a crash before this line rewrites the same keys on restart.
    const offsets = [...batch].map(([partition, b]) => ({ topic: this.o.topic, partition, offset: b.next }));
    this.consumer.commitSync(offsets);
    this.o.logger.debug({ events: rows.length, files: files.length, bytes }, 'archive batch committed');
    this.o.onBatch?.({ events: rows.length, files: files.length, bytes });
  }

  private async put(f: ArchiveFile): Promise<number> {
    const body = new Uint8Array(toParquet(f.rows));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.s3.send(
          new PutObjectCommand({
            Bucket: this.o.location.bucket,
            Key: f.key,
            Body: body,
            ContentType: 'application/vnd.apache.parquet',
          }),
        );
        return body.byteLength;
      } catch (err) {
        if (attempt >= PUT_ATTEMPTS) {
          throw new Error(
            `archive put s3://${this.o.location.bucket}/${f.key} failed ${attempt} times: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
        this.o.logger.warn({ key: f.key, attempt, err: (err as Error).message }, 'archive put failed; retrying');
        await new Promise((r) => setTimeout(r, (this.o.putRetryMs ?? 500) * 2 ** (attempt - 1)));
      }
    }
  }
}
