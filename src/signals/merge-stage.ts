/**
 * Stage 2: the consumer of the partials topic (read_committed) in its own group, so each dataset
 * has exactly one owner: the process assigned its partials partition (kafka-io.ownerPartition).
 * It merges partials into per-dataset windows, evaluates every owned dataset each
 * SF_SIGNALS_EVAL_INTERVAL_MS, publishes snapshots and changed incidents, and commits the
 * partials offsets only after those outputs are acknowledged.
 *
 * State is not stored anywhere else: the windows are a function of the partials topic (exactly
 * once per evidence span, stage 1), so a new owner rebuilds them by re-reading the partials of
 * the retained horizon up to the committed offset, reloads the open incidents from the
 * incidents topic, and resumes the pending breach clocks from the datasets' last snapshots on the
 * signals topic (`breached_since`). Re-merging a partial twice is harmless (ids, window.ts).
 */
import { type KafkaConsumer, type Message, type Producer, returnWhenDrained } from '../common/kafka.js';
import type { RateLimitedLog } from '../common/kafka-logs.js';
import type { Logger } from '../common/logger.js';
import { INCIDENT_KINDS, type Incident, type IncidentKind, type SignalSnapshot } from '../models/index.js';
import type { SignalsConfig } from './config.js';
import { breachClocks, clocksToResume, newTracker, resolve, step, type Tracker } from './incidents.js';
import {
  CODES,
  committed,
  connect,
  consume,
  disconnect,
  flush,
  newConsumer,
  newProducer,
  offsetForTime,
  ownerPartition,
  readRange,
  watermarks,
} from './kafka-io.js';
import type { SignalsMetrics } from './metrics.js';
import type { PartialAggregate } from './partial.js';
import type { PolicyView } from './policies.js';
import { DatasetWindow, evaluate } from './window.js';

/** An unchanged open incident is republished this often (last_seen moves on). */
const REPUBLISH_MS = 60_000;
/**
 * How far back past the session timeout a new owner looks for the previous owner's last snapshot
 * to resume its breach clocks: a handover (rebalance, or a crash noticed after the session
 * timeout) is that quick. An older snapshot says nothing about the time nobody watched.
 */
const CLOCK_LOOKBACK_MS = 60_000;

function parsePartial(v: Buffer | null | undefined): PartialAggregate | undefined {
  if (!v) return undefined;
  try {
    const p = JSON.parse(v.toString('utf8')) as PartialAggregate;
    return typeof p.id === 'string' &&
      typeof p.dataset_urn === 'string' &&
      typeof p.bucket === 'number' &&
      typeof p.source?.to === 'number'
      ? p
      : undefined;
  } catch {
    return undefined;
  }
}

export class MergeStage {
  private consumer: KafkaConsumer | undefined;
  private producer: Producer | undefined;
  private readonly windows = new Map<string, DatasetWindow>();
  private readonly trackers = new Map<string, Map<IncidentKind, Tracker>>();
  /** Owned partials partition -> when this process got it. */
  private readonly owned = new Map<number, number>();
  private readonly pendingAssigned = new Set<number>();
  /** Next offset to commit per owned partition. */
  private readonly consumed = new Map<number, number>();
  private readonly published = new Map<string, { sig: string; at: number }>();
  private lastEval = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private fail: (e: Error) => void = () => {};
  readonly failure = new Promise<Error>((r) => {
    this.fail = r;
  });
  /** Set after each evaluation: readiness and tests. */
  lastEvaluatedAt = 0;

  constructor(
    private readonly cfg: SignalsConfig,
    private readonly log: Logger,
    private readonly clientLog: RateLimitedLog,
    private readonly metrics: SignalsMetrics,
    private readonly policies: PolicyView,
    private readonly partitions: number,
  ) {}

  /** `queued`: the client's label in signals_client_queued_bytes (librdkafka memory). */
  private io(clientId: string, queued?: string) {
    const stats = queued
      ? (s: { queuedBytes: number }) => this.metrics.queued.set({ client: queued }, s.queuedBytes)
      : undefined;
    return { brokers: this.cfg.brokers, clientId, log: this.clientLog, fetchQueueKb: this.cfg.fetchQueueKb, stats };
  }

  async start(): Promise<void> {
    const p = newProducer(this.io('signal-factory-signals-out', 'merge-producer'), { dr_cb: true });
    p.on('delivery-report', (err) => {
      if (err) this.fail(new Error(`signal output not delivered: ${err.message}`));
    });
    p.setPollInterval(100);
    this.producer = p;
    await connect(p, 10_000);
    const c = newConsumer(
      {
        ...this.io('signal-factory-signals-merge', 'merge-consumer'),
        groupId: `${this.cfg.groupId}.merge`,
        readCommitted: true,
      },
      {
        rebalance_cb: (err: { code: number }, assignment: Array<{ topic: string; partition: number }>) => {
          if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
            for (const a of assignment) {
              this.owned.set(a.partition, Date.now());
              this.pendingAssigned.add(a.partition);
            }
            c.assign(assignment);
          } else {
            this.revoke(assignment.map((a) => a.partition));
            c.unassign();
          }
          this.metrics.assigned.set({ stage: 'merge' }, this.owned.size);
        },
        'session.timeout.ms': this.cfg.sessionTimeoutMs,
      },
    );
    this.consumer = c;
    await connect(c, 10_000);
    c.setDefaultConsumeTimeout(Math.min(this.cfg.batchWaitMs, this.cfg.evalIntervalMs));
    // Evaluations keep their cadence while partials stream in (see returnWhenDrained).
    returnWhenDrained(c);
    c.subscribe([this.cfg.partialsTopic]);
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

  private window(dataset: string, partition: number): DatasetWindow {
    let w = this.windows.get(dataset);
    if (!w) {
      w = new DatasetWindow(dataset, this.owned.get(partition) ?? Date.now());
      this.windows.set(dataset, w);
    }
    return w;
  }

  private tracker(dataset: string, kind: IncidentKind): Tracker {
    let m = this.trackers.get(dataset);
    if (!m) {
      m = new Map();
      this.trackers.set(dataset, m);
    }
    let t = m.get(kind);
    if (!t) {
      t = newTracker();
      m.set(kind, t);
    }
    return t;
  }

  private merge(m: Message, counted: boolean): void {
    const p = parsePartial(m.value);
    if (!p) {
      if (counted) this.metrics.invalid.inc({ topic: this.cfg.partialsTopic });
      return;
    }
    const r = this.window(p.dataset_urn, m.partition).merge(p, this.cfg.window);
    if (counted) this.metrics.partials.inc({ result: r });
  }

  private revoke(partitions: number[]): void {
    const gone = new Set(partitions);
    for (const p of partitions) {
      this.owned.delete(p);
      this.pendingAssigned.delete(p);
      this.consumed.delete(p);
    }
    for (const d of [...this.windows.keys(), ...this.trackers.keys()]) {
      if (gone.has(ownerPartition(d, this.partitions))) {
        this.windows.delete(d);
        this.trackers.delete(d);
        this.forgetGauges(d);
      }
    }
  }

  /** A dataset moved to another process: its gauges here would be stale (and keep alerts firing). */
  private forgetGauges(dataset: string): void {
    const m = this.metrics;
    for (const g of [m.compliance, m.rpm, m.age]) g.remove({ dataset });
    for (const kind of INCIDENT_KINDS) {
      m.breached.remove({ dataset, kind });
      m.openIncidents.remove({ dataset, kind });
    }
  }

  private async run(): Promise<void> {
    const c = this.consumer!;
    while (!this.stopped) {
      const batch = await consume(c, this.cfg.batchSize);
      if (this.pendingAssigned.size > 0) await this.rebuild([...this.pendingAssigned]);
      for (const m of batch) {
        if (!this.owned.has(m.partition)) continue;
        this.merge(m, true);
        this.consumed.set(m.partition, m.offset + 1);
      }
      const now = Date.now();
      if (now - this.lastEval >= this.cfg.evalIntervalMs && !this.stopped) {
        this.lastEval = now;
        await this.evaluateAll(now);
        this.commit();
      }
    }
  }

  private commit(): void {
    const offsets = [...this.consumed]
      .filter(([p]) => this.owned.has(p))
      .map(([partition, offset]) => ({ topic: this.cfg.partialsTopic, partition, offset }));
    if (offsets.length === 0) return;
    try {
      this.consumer!.commitSync(offsets);
    } catch (err) {
      // Harmless: a new owner rebuilds up to the last commit and consumes the rest once.
      this.log.warn(
        { err: (err as Error).message },
        'partials offsets not committed (rebalance?); they are read again',
      );
    }
    this.consumed.clear();
  }

  /** A new owner's state: the horizon's partials up to the committed offset, and the open incidents. */
  private async rebuild(partitions: number[]): Promise<void> {
    const topic = this.cfg.partialsTopic;
    const done = await committed(this.consumer!, topic, partitions);
    const since = Date.now() - this.cfg.window.horizonMs;
    for (const partition of partitions) {
      this.pendingAssigned.delete(partition);
      const to = done.get(partition);
      if (to === undefined) continue;
      let from = await offsetForTime(this.consumer!, topic, partition, since);
      if (from < 0) from = (await watermarks(this.consumer!, topic, partition)).highOffset;
      const n = await readRange(
        { ...this.io('signal-factory-signals-rebuild'), readCommitted: true },
        topic,
        partition,
        from,
        to,
        (m) => this.merge(m, false),
      );
      this.log.info({ partition, from, to, partials: n }, 'windows rebuilt from the partials topic');
    }
    await this.loadIncidents(new Set(partitions));
    await this.loadBreachClocks(new Set(partitions));
  }

  /** Reads every partition of `topic` from `since` (epoch ms; the start when undefined) to its end. */
  private async readAll(topic: string, since: number | undefined, each: (m: Message) => void): Promise<void> {
    for (let partition = 0; ; partition++) {
      let w: { lowOffset: number; highOffset: number };
      try {
        w = await watermarks(this.consumer!, topic, partition);
      } catch {
        break; // past the last partition
      }
      let from = w.lowOffset;
      if (since !== undefined) {
        const at = await offsetForTime(this.consumer!, topic, partition, since);
        from = at < 0 ? w.highOffset : Math.max(at, w.lowOffset);
      }
      await readRange(this.io('signal-factory-signals-reload'), topic, partition, from, w.highOffset, each);
    }
  }

  private async loadIncidents(partitions: Set<number>): Promise<void> {
    const latest = new Map<string, Incident>();
    await this.readAll(this.cfg.incidentsTopic, undefined, (m) => {
      if (!m.value || !m.key) return;
      const i = JSON.parse(m.value.toString('utf8')) as Incident;
      latest.set(i.incident_id, i);
    });
    let n = 0;
    for (const i of latest.values()) {
      if (i.state === 'resolved' || !partitions.has(ownerPartition(i.dataset_urn, this.partitions))) continue;
      this.tracker(i.dataset_urn, i.kind).incident = i;
      this.published.set(i.incident_id, { sig: signature(i), at: Date.parse(i.updated_at) });
      n++;
    }
    if (n > 0) this.log.info({ open: n }, 'open incidents reloaded');
  }

  /**
   * Resumes the breach clocks of the previous owner (its newest snapshot of each dataset now
   * owned here), so a breach that began before a handover still opens SF_SIGNALS_OPEN_AFTER_SEC
   * after it began, with the same deterministic incident id.
   */
  private async loadBreachClocks(partitions: Set<number>): Promise<void> {
    const now = Date.now();
    const latest = new Map<string, unknown>();
    await this.readAll(this.cfg.signalsTopic, now - this.cfg.sessionTimeoutMs - CLOCK_LOOKBACK_MS, (m) => {
      const d = m.key?.toString('utf8');
      if (!m.value || d === undefined || !partitions.has(ownerPartition(d, this.partitions))) return;
      try {
        latest.set(d, (JSON.parse(m.value.toString('utf8')) as Partial<SignalSnapshot>).breached_since);
      } catch {
        // Not a snapshot: nothing to resume.
      }
    });
    let n = 0;
    for (const [d, clocks] of latest) {
      for (const [kind, since] of clocksToResume(clocks, now)) {
        const t = this.tracker(d, kind);
        t.breachSince = Math.min(t.breachSince ?? since, since);
        n++;
      }
    }
    if (n > 0) this.log.info({ clocks: n }, 'breach clocks resumed from the last snapshots');
  }

  private isOwned(dataset: string): boolean {
    return (
      this.owned.has(ownerPartition(dataset, this.partitions)) &&
      !this.pendingAssigned.has(ownerPartition(dataset, this.partitions))
    );
  }

  private async evaluateAll(now: number): Promise<void> {
    const p = this.producer!;
    let buckets = 0;
    let datasets = 0;
    for (const policy of this.policies.all()) {
      const d = policy.dataset_urn;
      if (!this.isOwned(d)) continue;
      datasets++;
      const w = this.window(d, ownerPartition(d, this.partitions));
      buckets += w.prune(now, this.cfg.window);
      const ev = evaluate(w, policy, now, this.cfg.window);
      let open = 0;
      for (const v of ev.verdicts) {
        const t = this.tracker(d, v.kind);
        const changed = step(t, v, ev, d, now, this.cfg.incidents);
        if (changed) this.publishIncident(changed, now);
        if (t.incident) open++;
        this.metrics.breached.set({ dataset: d, kind: v.kind }, v.breached ? 1 : 0);
        this.metrics.openIncidents.set({ dataset: d, kind: v.kind }, t.incident ? 1 : 0);
      }
      const snap: SignalSnapshot = {
        ...ev.snapshot,
        open_incidents: open,
        breached_since: breachClocks(this.trackers.get(d) ?? []),
      };
      p.produce(this.cfg.signalsTopic, null, Buffer.from(JSON.stringify(snap)), Buffer.from(d), now);
      if (snap.compliance.rate !== null) this.metrics.compliance.set({ dataset: d }, snap.compliance.rate);
      this.metrics.rpm.set({ dataset: d }, snap.volume.records_per_min);
      if (snap.freshness.age_sec !== null) this.metrics.age.set({ dataset: d }, snap.freshness.age_sec);
    }
    this.retireDeleted(now);
    // Evidence of a dataset without a policy is kept (a policy may come) but pruned like the rest.
    for (const [d, w] of this.windows) {
      if (this.policies.get(d)) continue;
      const left = w.prune(now, this.cfg.window);
      if (left === 0) this.windows.delete(d);
      buckets += left;
    }
    this.metrics.windows.set(buckets);
    this.metrics.datasets.set(datasets);
    await flush(p, 30_000);
    this.lastEvaluatedAt = now;
  }

  /**
   * A dataset whose policy was deleted is no longer evaluated: its open incidents resolve (reason
   * policy_deleted) instead of staying open forever, and its gauges go (they would keep alerts firing).
   */
  private retireDeleted(now: number): void {
    for (const [d, kinds] of this.trackers) {
      if (this.policies.get(d) || !this.isOwned(d)) continue;
      for (const t of kinds.values()) {
        const resolved = resolve(t, now, 'policy_deleted');
        if (resolved) this.publishIncident(resolved, now);
      }
      this.trackers.delete(d);
      this.forgetGauges(d);
    }
  }

  private publishIncident(i: Incident, now: number): void {
    const sig = signature(i);
    const last = this.published.get(i.incident_id);
    if (i.state !== 'resolved' && last && last.sig === sig && now - last.at < REPUBLISH_MS) return;
    this.producer!.produce(
      this.cfg.incidentsTopic,
      null,
      Buffer.from(JSON.stringify(i)),
      Buffer.from(i.incident_id),
      now,
    );
    if (i.state === 'resolved') this.published.delete(i.incident_id);
    else this.published.set(i.incident_id, { sig, at: now });
    this.log.info(
      { incident_id: i.incident_id, dataset: i.dataset_urn, kind: i.kind, state: i.state },
      'incident published',
    );
  }
}

/** What makes an incident update worth publishing before REPUBLISH_MS. */
function signature(i: Incident): string {
  // A FRESHNESS incident's age grows every evaluation: its figures refresh with the minute republish.
  const figures = i.kind === 'FRESHNESS' ? null : [i.summary, i.figures];
  return JSON.stringify([i.state, figures, i.top_reason_codes, i.sample_evidence_ids, i.suspected_producer]);
}
