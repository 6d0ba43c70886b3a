/**
 * Hands batches to the Piscina pool. Record bytes travel in one transferred ArrayBuffer;
 * a task that fails or exceeds its time limit is split and retried so one poison record
 * cannot take its batch-mates' evidence down with it; a single record that still fails
 * gets synthesized FAIL evidence (EVALUATION_ERROR) instead of being skipped.
 */
import { Piscina } from 'piscina';
import type { Logger } from '../common/logger.js';
import { batchTransferList, packBatch } from '../workers/pack.js';
import type { BatchResult } from '../workers/protocol.js';
import { evaluationErrorResult } from './fallback-evidence.js';
import type { ConsumedRecord } from './records.js';

export class GatePool {
  private readonly pool: Piscina<unknown, BatchResult>;

  constructor(
    workers: number,
    private readonly taskTimeoutMs: number,
    private readonly log: Logger,
  ) {
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

  get queueSize(): number {
    return this.pool.queueSize;
  }

  async evaluate(
    records: ConsumedRecord[],
    snapshot: { version: number; buffer: SharedArrayBuffer },
    now: number,
    fullVerdicts = false,
  ): Promise<BatchResult[]> {
    const batch = packBatch(records, snapshot.version, snapshot.buffer, now, fullVerdicts);
    try {
      return [
        await this.pool.run(batch, {
          transferList: batchTransferList(batch),
          signal: AbortSignal.timeout(this.taskTimeoutMs),
        }),
      ];
    } catch (err) {
      if (records.length === 1) {
        const r = records[0];
        this.log.error(
          { topic: r.topic, partition: r.partition, offset: r.offset, err: (err as Error).message },
          'gate evaluation failed for a record; emitting EVALUATION_ERROR evidence',
        );
        return [evaluationErrorResult(r, snapshot.version, now)];
      }
      this.log.warn({ records: records.length, err: (err as Error).message }, 'batch evaluation failed; splitting');
      const mid = records.length >> 1;
      const [a, b] = await Promise.all([
        this.evaluate(records.slice(0, mid), snapshot, now, fullVerdicts),
        this.evaluate(records.slice(mid), snapshot, now, fullVerdicts),
      ]);
      return [...a, ...b];
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
