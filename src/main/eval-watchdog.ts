/**
 * The per-record evaluation budget (SF_RECORD_BUDGET_MS). Each running worker task publishes
 * the record it is on and when that record started (src/workers/progress.ts); one coarse timer
 * on the main thread looks at every watched task and reports a record that has run past the
 * budget, once. Timed from the record's own start: a task queued behind a stuck one is not
 * charged for the wait, and neither is the snapshot compile before its first record.
 * What to do about it (abort the task, re-dispatch the rest) is dispatch.ts's business.
 */
import { epochNow, type RecordProgress } from '../workers/progress.js';

/** The record that is over budget at `now`, or -1. Pure: the timer's whole decision. */
export function overBudget(progress: RecordProgress, count: number, now: number, budgetMs: number): number {
  const i = progress.current();
  if (i < 0 || i >= count) return -1;
  return now - progress.startedAt() > budgetMs ? i : -1;
}

/** The timer's period: a quarter of the budget (detection within 1.25 budgets), 5 ms..1 s. */
export const tickMs = (budgetMs: number): number => Math.min(1000, Math.max(5, Math.floor(budgetMs / 4)));

interface Watch {
  progress: RecordProgress;
  count: number;
  onOverBudget: (index: number) => void;
}

export class EvalWatchdog {
  private readonly watches = new Set<Watch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly budgetMs: number,
    private readonly now: () => number = epochNow,
  ) {}

  /**
   * Watches one task of `count` records until the returned function is called. `onOverBudget`
   * runs at most once, with the index of the record that ran past the budget.
   */
  watch(progress: RecordProgress, count: number, onOverBudget: (index: number) => void): () => void {
    const w: Watch = { progress, count, onOverBudget };
    this.watches.add(w);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), tickMs(this.budgetMs));
      this.timer.unref();
    }
    return () => this.unwatch(w);
  }

  /** One pass over the running tasks (the timer's callback). */
  check(): void {
    const now = this.now();
    for (const w of this.watches) {
      const i = overBudget(w.progress, w.count, now, this.budgetMs);
      if (i >= 0) {
        this.unwatch(w);
        w.onOverBudget(i);
      }
    }
  }

  private unwatch(w: Watch): void {
    this.watches.delete(w);
    if (this.watches.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
