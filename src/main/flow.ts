/**
 * Flow control of the consume loop (issue 14): records and bytes in flight (consumed, not yet
 * done) are bounded; above the bound the loop *holds*: it stops calling consume() and waits for
 * completions, while librdkafka's own prefetch queue (queued.max.messages.kbytes, bytes) keeps
 * what it already fetched.
 *
 * Why not pause(): this client's pause() purges the partitions' prefetched messages and seeks
 * back, so every pause/resume cycle threw the prefetch away and refetched it (~1 s of refill
 * per cycle at an 8,192-record bound: the enforcer ran half idle). Holding costs nothing.
 *
 * A hold that lasts longer than `pauseAfterMs` (evidence bus down, S3 slow) falls back to
 * pausing the partitions and polling consume(1): librdkafka serves rebalance callbacks and
 * max.poll.interval.ms only while the application polls, so a long hold must keep polling,
 * and paused partitions return nothing to the poll.
 */
/** What is in flight (src/main/offsets.ts OffsetTracker, or the perf baseline's counters). */
export interface InFlight {
  readonly inFlight: number;
  readonly inFlightBytes: number;
}

export interface FlowLimits {
  maxRecords: number;
  maxBytes: number;
  /** How long a hold may last before the partitions are paused and the loop polls. */
  pauseAfterMs: number;
}

/** What the loop does next: consume a batch, wait for completions, or poll paused partitions. */
export type FlowStep = 'consume' | 'hold' | 'poll';

/** Resume below this share of the bound (hysteresis: one batch of room is not worth a wake-up). */
const RESUME_SHARE = 0.75;

export class FlowControl {
  private state: 'open' | 'held' | 'paused' = 'open';
  private heldSince = 0;
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly resumeRecords: number;
  private readonly resumeBytes: number;

  constructor(
    private readonly limits: FlowLimits,
    private readonly tracker: InFlight,
    private readonly hooks: { pause(): void; resume(): void },
  ) {
    this.resumeRecords = Math.floor(limits.maxRecords * RESUME_SHARE);
    this.resumeBytes = Math.floor(limits.maxBytes * RESUME_SHARE);
  }

  private over(): boolean {
    return this.tracker.inFlight >= this.limits.maxRecords || this.tracker.inFlightBytes >= this.limits.maxBytes;
  }

  private belowResume(): boolean {
    return this.tracker.inFlight <= this.resumeRecords && this.tracker.inFlightBytes <= this.resumeBytes;
  }

  get paused(): boolean {
    return this.state === 'paused';
  }

  next(now: number): FlowStep {
    if (this.state === 'open') {
      if (!this.over()) return 'consume';
      this.state = 'held';
      this.heldSince = now;
    }
    if (this.belowResume()) {
      if (this.state === 'paused') this.hooks.resume();
      this.state = 'open';
      return 'consume';
    }
    if (this.state === 'held' && now - this.heldSince >= this.limits.pauseAfterMs) {
      this.state = 'paused';
      this.hooks.pause();
    }
    return this.state === 'paused' ? 'poll' : 'hold';
  }

  /** Waits until completions bring the pipeline below the resume mark, or `ms` at most. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.timer = setTimeout(() => this.wake(), ms);
    });
  }

  /** Called after completions: wakes a holding loop once there is room again. */
  progress(): void {
    if (this.waiter !== undefined && this.belowResume()) this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    clearTimeout(this.timer);
    w?.();
  }
}
