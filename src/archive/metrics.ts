/** The archive's Prometheus metrics (docs/observability.md lists them). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function archiveMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    events: new Counter({
      name: 'archive_events_total',
      help: 'Evidence events written to S3 and committed',
      registers: [registry],
    }),
    files: new Counter({
      name: 'archive_files_total',
      help: 'Parquet objects put (committed batches)',
      registers: [registry],
    }),
    bytes: new Counter({
      name: 'archive_bytes_total',
      help: 'Bytes of Parquet put (committed batches)',
      registers: [registry],
    }),
    batches: new Counter({
      name: 'archive_batches_total',
      help: 'Batches written and committed',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'archive_rejected_total',
      help: 'Messages on the evidence topic that are not evidence events (skipped, committed past)',
      registers: [registry],
    }),
    putRetries: new Counter({
      name: 'archive_put_retries_total',
      help: 'S3 puts that failed and were retried',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'archive_batch_write_seconds',
      help: 'Time to encode and put one batch and commit it',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'archive_consumer_lag',
      help: 'Evidence messages not yet consumed by this process (librdkafka statistics)',
      registers: [registry],
    }),
    assigned: new Gauge({
      name: 'archive_partitions_assigned',
      help: 'Evidence partitions this process holds',
      registers: [registry],
    }),
    lastCommit: new Gauge({
      name: 'archive_last_commit_timestamp_seconds',
      help: 'When this process last committed a batch (0: never)',
      registers: [registry],
    }),
  };
}
export type ArchiveMetrics = ReturnType<typeof archiveMetrics>;
