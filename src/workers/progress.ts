/**
 * Which record a worker task is evaluating, and since when: a tiny SharedArrayBuffer per task
 * that the worker writes before each record and the main thread's watchdog
 * (src/main/eval-watchdog.ts) reads, so a record is timed from when it started, never from
 * when its batch was queued. Layout (one home, both sides): bytes 0-7 the record's start as
 * epoch ms (Float64, `performance.timeOrigin + performance.now()`, which both threads share),
 * bytes 8-11 its index in the batch (Int32; -1 before the first record starts, `count` after
 * the last). The start is written before the index (Atomics.store orders it), so a reader that
 * loads the index first never pairs it with an older start.
 */
const START = 0;
const INDEX_BYTE = 8;
export const PROGRESS_BYTES = 12;

export class RecordProgress {
  private readonly start: Float64Array;
  private readonly index: Int32Array;
  /** Views over a task's buffer (the worker wraps the one its batch carries). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.start = new Float64Array(buffer, START, 1);
    this.index = new Int32Array(buffer, INDEX_BYTE, 1);
  }

  /** Main thread: a fresh slot for one task, no record started. */
  static create(): RecordProgress {
    const p = new RecordProgress(new SharedArrayBuffer(PROGRESS_BYTES));
    Atomics.store(p.index, 0, -1);
    return p;
  }

  /** Worker: record `i` starts at `epochMs`. */
  began(i: number, epochMs: number): void {
    this.start[0] = epochMs;
    Atomics.store(this.index, 0, i);
  }

  /** Main thread: the record being evaluated now, or -1 (not started). */
  current(): number {
    return Atomics.load(this.index, 0);
  }

  /** Main thread: when the record `current()` returned started (read after it). */
  startedAt(): number {
    return this.start[0];
  }
}

/** Epoch ms on either thread's clock basis (monotonic within a thread). */
export const epochNow = (): number => performance.timeOrigin + performance.now();
