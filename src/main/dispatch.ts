/**
 * Hands batches to the Piscina pool. Record bytes travel in one transferred ArrayBuffer.
 * Two ways a task can fail to give verdicts, each confined to the records that caused it:
 * - a record runs past the per-record budget (EvalWatchdog): the task is aborted (Piscina
 *   terminates and replaces its worker), that record gets EVALUATION_TIMEOUT evidence and the
 *   batch's other records are dispatched again, so they are judged on their own merits;
 * - the task throws (a crashed worker): the batch is split and retried down to single records;
 *   a single record that still fails gets EVALUATION_ERROR evidence instead of being skipped.
 */
import { Piscina } from 'piscina';
import type { Logger } from '../common/logger.js';
import { batchTransferList, packBatch } from '../workers/pack.js';
import { RecordProgress } from '../workers/progress.js';
import type { BatchResult } from '../workers/protocol.js';
import { EvalWatchdog } from './eval-watchdog.js';
import { unevaluatedResult } from './fallback-evidence.js';
import type { ConsumedRecord } from './records.js';

export class GatePool {
  private readonly pool: Piscina<unknown, BatchResult>;
  private readonly watchdog: EvalWatchdog;

  constructor(
    workers: number,
    recordBudgetMs: number,
    private readonly log: Logger,
  ) {
    this.watchdog = new EvalWatchdog(recordBudgetMs);
    this.pool = new Piscina({
      filename: new URL('../workers/task.js', import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      // Batches are CPU-bound and sync: queue them instead of oversubscribing cores.
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Gate garbage is short-lived: a small young generation keeps RSS down at a small GC cost.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 },
    });
  }

  /** Verdicts for `records`, in order (one BatchResult per task that produced them). */
  async evaluate(
    records: ConsumedRecord[],
    snapshot: { version: number; buffer: SharedArrayBuffer },
    now: number,
  ): Promise<BatchResult[]> {
    const batch = packBatch(records, snapshot.version, snapshot.buffer, now);
    const progress = RecordProgress.create();
    batch.progress = progress.buffer;
    const abort = new AbortController();
    let stuck = -1;
    const unwatch = this.watchdog.watch(progress, records.length, (i) => {
      stuck = i;
      abort.abort();
    });
    try {
      return [await this.pool.run(batch, { transferList: batchTransferList(batch), signal: abort.signal })];
    } catch (err) {
      if (stuck >= 0) return this.withoutStuck(records, stuck, snapshot, now);
      if (records.length === 1) {
        const r = records[0];
        this.log.error(
          { topic: r.topic, partition: r.partition, offset: r.offset, err: (err as Error).message },
          'gate evaluation failed for a record; emitting EVALUATION_ERROR evidence',
        );
        return [unevaluatedResult(r, 'EVALUATION_ERROR', now)];
      }
      this.log.warn({ records: records.length, err: (err as Error).message }, 'batch evaluation failed; splitting');
      const mid = records.length >> 1;
      const [a, b] = await Promise.all([
        this.evaluate(records.slice(0, mid), snapshot, now),
        this.evaluate(records.slice(mid), snapshot, now),
      ]);
      return [...a, ...b];
    } finally {
      unwatch();
    }
  }

  /** The stuck record's timeout evidence between fresh verdicts for the records around it. */
  private async withoutStuck(
    records: ConsumedRecord[],
    stuck: number,
    snapshot: { version: number; buffer: SharedArrayBuffer },
    now: number,
  ): Promise<BatchResult[]> {
    const r = records[stuck];
    this.log.warn(
      {
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        budget_ms: this.watchdog.budgetMs,
        batch: records.length,
      },
      'record over the evaluation budget: worker replaced, EVALUATION_TIMEOUT evidence, rest of the batch re-dispatched',
    );
    // The aborted task's finished records had no results yet: they are evaluated again.
    const before = records.slice(0, stuck);
    const after = records.slice(stuck + 1);
    const [a, b] = await Promise.all([
      before.length > 0 ? this.evaluate(before, snapshot, now) : [],
      after.length > 0 ? this.evaluate(after, snapshot, now) : [],
    ]);
    return [...a, unevaluatedResult(r, 'EVALUATION_TIMEOUT', now), ...b];
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
