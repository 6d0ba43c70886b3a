/**
 * The Policy Enforcer's main thread: consume -> evaluate in the worker pool -> emit
 * evidence (and quarantine / republish) -> commit the contiguous done watermark.
 *
 * Invariants:
 * - a record is "done" only when its evidence is acknowledged by the broker and its
 *   enforcement action (S3 write or republish) is acknowledged too;
 * - a partition's commit never passes a record that is not done (OffsetTracker);
 * - no commit for a partition after it was revoked;
 * - records and bytes in flight are bounded (src/main/flow.ts): above the bound the loop
 *   stops consuming until completions make room, so memory stays flat under overload.
 */
import { hostname } from 'node:os';
import type { Tracer } from '@opentelemetry/api';
import { glueClient, s3Client } from '../common/aws.js';
import { ConfluentRegistryClient } from '../common/confluent-registry.js';
import type { FleetReport } from '../common/fleet-report.js';
import type { Message, TopicPartition } from '../common/kafka.js';
import { abortable, retryUntilAborted, sleep } from '../common/lifecycle.js';
import type { Logger } from '../common/logger.js';
import { readWireHeader } from '../workers/gates/envelope.js';
import { evidenceBytes, verdictAction, verdictCount, verdictDetail } from '../workers/pack.js';
import type { BatchResult } from '../workers/protocol.js';
import { Quarantine } from './actions.js';
import type { HistogramSeries } from './bulk-histogram.js';
import type { EnforcerConfig } from './config.js';
import { RawConsumer } from './consumer.js';
import { GatePool } from './dispatch.js';
import { type AckSink, KafkaSender, type Outgoing } from './evidence-producer.js';
import { FlowControl } from './flow.js';
import { refreshLag, type StartStep, startStepText, startupFields, warnUncommitted } from './lifecycle.js';
import { EnforcerMetrics, UNRESOLVED_DATASET_LABEL } from './metrics.js';
import { OffsetTracker, type PartitionState, type Segment } from './offsets.js';
import { type EmitChunk, PartitionEmitter } from './partition-emitter.js';
import { PolicySnapshots } from './policy-snapshot.js';
import { type ConsumedRecord, toRecord } from './records.js';
import { ConfluentSource, GlueSource, SchemaRegistryCache, type SchemaSource } from './schema-registry.js';
import { type RecordSpans, RecordTracer } from './tracing.js';

/** Longest wait of a holding loop before it looks at the bound again (completions wake it sooner). */
const HOLD_POLL_MS = 50;

/**
 * Tracks, per record of one batch, how many acknowledgements are still due; when a record
 * is done its segment advances and its evidence latency is observed.
 */
class BatchCompletion implements AckSink {
  constructor(
    private readonly remaining: Uint8Array,
    private readonly segments: Segment[],
    private readonly timestamps: Float64Array,
    private readonly latency: Array<HistogramSeries>,
    private readonly tracker: OffsetTracker,
    private readonly flow: FlowControl,
    private readonly spans: Array<RecordSpans | undefined> | undefined,
  ) {}
  ack(i: number): void {
    if (--this.remaining[i] !== 0) return;
    this.tracker.complete(this.segments[i]);
    this.flow.progress();
    this.latency[i].observe(Date.now() - this.timestamps[i]);
    const s = this.spans?.[i];
    if (s) s.emit?.end();
  }
}

/** One Kafka connect attempt; short, because a native connect in flight delays process exit. */
const CONNECT_ATTEMPT_MS = 5000;

/** Shadow evidence has no offset waiting on it. */
const NO_ACK = { ack: () => {} };

/** Registry requests one consumed batch may cost for ids its framed records carry (the rest wait). */
const MAX_SCHEMA_LOOKUPS_PER_BATCH = 8;

/**
 * Glue always (ids name it explicitly); the Confluent-compatible registry when SF_SCHEMA_REGISTRY_URL is set.
 * Also `signal-factory replay`'s, so a replayed record meets the schemas the enforcer would use.
 */
export function schemaRegistryCache(
  cfg: Pick<EnforcerConfig, 'awsEndpoint' | 'awsRegion' | 'glueRegistry' | 'schemaCacheTtlMs' | 'schemaRegistry'>,
): SchemaRegistryCache {
  const sources: SchemaSource[] = [new GlueSource(glueClient(cfg), cfg.glueRegistry, cfg.schemaCacheTtlMs)];
  if (cfg.schemaRegistry !== undefined) {
    sources.push(new ConfluentSource(new ConfluentRegistryClient(cfg.schemaRegistry), cfg.schemaCacheTtlMs));
  }
  return new SchemaRegistryCache(sources, cfg.schemaCacheTtlMs);
}

export class Enforcer {
  readonly metrics = new EnforcerMetrics();
  readonly tracker = new OffsetTracker();
  readonly snapshots: PolicySnapshots;
  private readonly consumer: RawConsumer;
  private readonly sender: KafkaSender;
  private readonly emitter: PartitionEmitter;
  private readonly pool: GatePool;
  private readonly quarantine: Quarantine | undefined;
  private readonly evidenceKeys = new Map<string, Buffer>();
  private stopping = false;
  private paused = false;
  private readonly flow: FlowControl;
  private loopDone: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private fatal: Error | undefined;
  private failed: (err: Error) => void = () => {};
  /** Settles with the first fatal error (runService stops the process on it). */
  readonly failure = new Promise<Error>((resolve) => {
    this.failed = resolve;
  });
  private startStep: StartStep = 'not started';
  /** The group gave this member its first assignment (possibly empty): readiness waits for it. */
  private assigned = false;

  private readonly tracer: RecordTracer;

  constructor(
    private readonly cfg: EnforcerConfig,
    private readonly log: Logger,
    tracer?: Tracer,
  ) {
    this.tracer = new RecordTracer(tracer);
    this.snapshots = new PolicySnapshots({
      controlPlaneUrl: cfg.controlPlaneUrl,
      token: cfg.controlPlaneToken,
      identityKeys: cfg.identityKeys,
      registry: schemaRegistryCache(cfg),
      schemaRetryMs: cfg.schemaRetryMs,
      metrics: this.metrics,
      log,
      report: () => this.fleetReport(),
    });
    this.consumer = new RawConsumer(
      {
        brokers: cfg.brokers,
        groupId: cfg.groupId,
        offsetReset: cfg.offsetReset,
        fetchQueueKb: cfg.fetchQueueKb,
        instanceId: cfg.instanceId,
      },
      { onAssign: (p) => this.onAssign(p), onRevoke: (p) => this.onRevoke(p) },
      log,
    );
    this.flow = new FlowControl(
      { maxRecords: cfg.maxInFlight, maxBytes: cfg.maxInFlightKb * 1024, pauseAfterMs: cfg.holdBeforePauseMs },
      this.tracker,
      { pause: () => this.setPaused(true), resume: () => this.setPaused(false) },
    );
    this.sender = new KafkaSender(
      { brokers: cfg.evidenceBrokers, deliveryTimeoutMs: cfg.deliveryTimeoutMs, queueKb: cfg.evidenceQueueKb },
      this.metrics,
      log,
    );
    this.emitter = new PartitionEmitter(this.sender);
    this.pool = new GatePool(cfg.workers, cfg.recordBudgetMs, log);
    this.quarantine = cfg.quarantineUri
      ? new Quarantine(
          cfg.quarantineUri,
          cfg.quarantineUri.startsWith('s3:') ? s3Client(cfg) : undefined,
          this.metrics,
          log,
          {
            algorithm: process.env.SF_QUARANTINE_SSE === 'aws:kms' ? 'aws:kms' : 'AES256',
            kmsKeyId: process.env.SF_QUARANTINE_KMS_KEY_ID || undefined,
          },
        )
      : undefined;
  }

  /** Ready: connected both ways, holding policies and partitions (design 5, Kubernetes probes). */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.consumer.isConnected) reasons.push('consumer not connected');
    else if (!this.assigned) reasons.push('waiting for the consumer group to assign partitions');
    if (!this.sender.isConnected) reasons.push('producer not connected');
    if (!this.snapshots.loaded) reasons.push('no policy snapshot yet');
    if (this.snapshots.degraded) reasons.push(this.snapshots.degraded);
    if (this.stopping) reasons.push('shutting down');
    this.metrics.ready.set(reasons.length === 0 ? 1 : 0);
    return { ready: reasons.length === 0, reasons };
  }

  /** What each policy poll tells the control plane (its fleet view): readiness and lag, no new calls. */
  private async fleetReport(): Promise<FleetReport> {
    const { ready, reasons } = this.readiness();
    const series = (await this.metrics.consumerLag.get()).values;
    return {
      instance: this.cfg.instanceId ?? `${hostname()}:${process.pid}`,
      ready,
      reasons,
      lag: series.length === 0 ? null : series.reduce((n, v) => n + v.value, 0),
      partitions: this.tracker.partitions().length,
      snapshot_version: this.snapshots.controlPlaneVersion,
    };
  }

  /** Live until a fatal error (the process then stops and exits non-zero). */
  live(): boolean {
    return this.fatal === undefined;
  }

  /** What start-up is doing now (named by the start-up timeout), with the last error seen. */
  phase(): string {
    const err = this.startStep === 'snapshot' ? this.snapshots.degraded : this.lastStartError;
    return `${startStepText(this.startStep, this.cfg)}${err ? ` (last error: ${err})` : ''}`;
  }

  private lastStartError: string | undefined;
  private readonly noteStartError = (err: unknown) => {
    this.lastStartError = (err as Error).message;
    this.log.warn({ err: this.lastStartError, step: this.startStep }, 'start-up step failed; retrying');
  };

  /** Bounded by the caller (runService); gives up between steps once `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    this.log.info(startupFields(this.cfg), 'enforcer starting');
    try {
      this.startStep = 'producer';
      await retryUntilAborted(() => this.sender.connect(CONNECT_ATTEMPT_MS), signal, this.noteStartError);
      // Policies first: consuming before we hold them would judge records against nothing.
      this.startStep = 'snapshot';
      while (!this.snapshots.loaded) {
        await abortable(this.snapshots.refresh(), signal);
        if (!this.snapshots.loaded) await sleep(1000, signal);
      }
      this.startStep = 'consumer';
      this.lastStartError = undefined;
      await retryUntilAborted(
        () => this.consumer.connect(this.cfg.topics, CONNECT_ATTEMPT_MS),
        signal,
        this.noteStartError,
      );
      signal.throwIfAborted();
    } catch (e) {
      if (!signal.aborted) this.fail(e as Error);
      throw e;
    }
    this.startStep = 'running';
    this.timers.push(
      setInterval(() => this.commitDone(), this.cfg.commitIntervalMs),
      setInterval(() => void this.snapshots.refresh(), this.cfg.policyRefreshMs),
      setInterval(() => void this.refreshLag(), this.cfg.lagRefreshMs),
    );
    for (const t of this.timers) t.unref();
    this.loopDone = this.loop().catch((e) => this.fail(e as Error, 'consume loop failed'));
    this.log.info({ group: this.cfg.groupId, workers: this.cfg.workers }, 'enforcer started');
  }

  /** Fatal: /healthz turns 503 and the process stops (runService logs the cause once). */
  private fail(err: Error, where?: string): void {
    if (this.fatal) return;
    this.fatal = where
      ? Object.assign(new Error(`${where}: ${err.message}`), { code: (err as { code?: unknown }).code })
      : err;
    this.failed(this.fatal);
  }

  private onAssign(parts: TopicPartition[]): void {
    for (const p of parts) this.tracker.assign(p.topic, p.partition);
    // New partitions follow the current backpressure state; resuming also clears a pause
    // librdkafka kept from before a revoke (else a partition could stay paused forever).
    const tps = parts.map((p) => ({ topic: p.topic, partition: p.partition }));
    if (this.paused) this.consumer.pause(tps);
    else this.consumer.resume(tps);
    this.metrics.paused.set(this.paused ? this.tracker.partitions().length : 0);
    if (!this.assigned) {
      this.assigned = true;
      void warnUncommitted(this.consumer, tps, this.cfg, this.log);
    }
  }

  private onRevoke(parts: TopicPartition[]): void {
    // Commit what is done before the partitions go; later completions are ignored.
    try {
      const commits = this.tracker.takeCommits();
      this.log.debug({ commits: commits.map((c) => `${c.topic}[${c.partition}]@${c.offset}`) }, 'commit on revoke');
      this.consumer.commit(commits, true);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'commit on revoke failed');
    }
    for (const p of parts) {
      this.tracker.revoke(p.topic, p.partition);
      this.metrics.consumerLag.remove({ topic: p.topic, partition: String(p.partition) });
    }
  }

  private commitDone(sync = false): void {
    const commits = this.tracker.takeCommits();
    if (commits.length === 0) return;
    this.log.debug({ commits: commits.map((c) => `${c.topic}[${c.partition}]@${c.offset}`) }, 'commit');
    try {
      this.consumer.commit(commits, sync);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'commit failed; will retry with the next watermark');
    }
  }

  private setPaused(pause: boolean): void {
    if (pause === this.paused) return;
    const parts = this.tracker.partitions().map((p) => ({ topic: p.topic, partition: p.partition }));
    if (pause) this.consumer.pause(parts);
    else this.consumer.resume(parts);
    this.paused = pause;
    this.metrics.paused.set(pause ? parts.length : 0);
    this.log.info(
      { in_flight: this.tracker.inFlight, partitions: parts.length },
      pause ? 'backpressure: paused' : 'resumed',
    );
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.metrics.inFlight.set(this.tracker.inFlight);
      const step = this.flow.next(Date.now());
      if (step === 'hold') {
        // librdkafka keeps prefetching into its byte-bounded queue meanwhile.
        await this.flow.wait(HOLD_POLL_MS);
        continue;
      }
      // While paused keep polling: rebalances and max.poll.interval depend on it.
      let messages: Message[];
      try {
        messages = await this.consumer.consume(step === 'poll' ? 1 : this.cfg.batchSize);
      } catch (e) {
        // Transient client errors (broker gone, coordinator moving): librdkafka reconnects.
        this.log.warn({ err: (e as Error).message }, 'consume failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length > 0) await this.dispatch(messages);
      // Don't let the pool queue grow without bound: the in-flight bound also caps it.
    }
  }

  private async dispatch(messages: Message[]): Promise<void> {
    const records: ConsumedRecord[] = [];
    const wireIds = new Set<string>();
    // Group per partition in consume order: one segment per (batch, partition). librdkafka
    // hands out runs of one partition, so the previous message's group is checked first.
    const groups = new Map<PartitionState, { count: number; last: number; bytes: number; idx: number[] }>();
    let lastTopic = '';
    let lastPartition = -1;
    let g: { count: number; last: number; bytes: number; idx: number[] } | undefined;
    for (const m of messages) {
      if (m.partition !== lastPartition || m.topic !== lastTopic) {
        lastTopic = m.topic;
        lastPartition = m.partition;
        const st = this.tracker.owned(m.topic, m.partition);
        g = st && groups.get(st);
        if (st && !g) {
          g = { count: 0, last: -1, bytes: 0, idx: [] };
          groups.set(st, g);
        }
      }
      if (!g) continue; // revoked since it was fetched: the new owner reads it again
      const value = m.value ?? null;
      const header = value && readWireHeader(value);
      if (header && typeof header === 'object' && !this.snapshots.isKnownSchema(header.versionId)) {
        wireIds.add(header.versionId);
      }
      g.count++;
      g.last = m.offset;
      g.bytes += m.size;
      g.idx.push(records.length);
      records.push(toRecord(m));
    }
    if (records.length === 0) return;
    const segments: Segment[] = new Array(records.length);
    const keys: Buffer[] = new Array(records.length);
    const chunks: EmitChunk[] = new Array(records.length);
    for (const [st, grp] of groups) {
      const seg = this.tracker.open(st, grp.count, grp.last, grp.bytes);
      const chunk = this.emitter.open(st, grp.count);
      const key = this.evidenceKey(st.topic, st.partition);
      for (const i of grp.idx) {
        segments[i] = seg;
        keys[i] = key;
        chunks[i] = chunk;
      }
      this.metrics.rawObserved.inc({ topic: st.topic }, grp.count);
    }
    if (wireIds.size > 0) await this.snapshots.ensureSchemas(wireIds, MAX_SCHEMA_LOOKUPS_PER_BATCH);
    const now = Date.now();
    let spans: Array<RecordSpans | undefined> | undefined;
    if (this.tracer.enabled) {
      spans = new Array(records.length);
      for (let i = 0; i < records.length; i++) {
        const s = this.tracer.start(records[i], now);
        spans[i] = s;
        if (s) records[i].otel = RecordTracer.ids(s);
      }
    }
    // Evaluation runs in workers; we don't await it here so consumption overlaps it.
    void this.pool
      .evaluate(records, this.snapshots.snapshot(), now, spans !== undefined)
      .then((results) => this.emit(records, segments, keys, chunks, results, spans, now))
      .catch((e) => this.fail(e as Error, 'emit failed'));
  }

  private readonly latencyChildren = new Map<string, HistogramSeries>();
  private latencyFor(dataset: string | null): HistogramSeries {
    const label = dataset ?? UNRESOLVED_DATASET_LABEL;
    let h = this.latencyChildren.get(label);
    if (!h) {
      h = this.metrics.evidenceLatency.labels(label);
      this.latencyChildren.set(label, h);
    }
    return h;
  }

  private evidenceKey(topic: string, partition: number): Buffer {
    // Evidence is keyed by raw topic/partition: consumers of the evidence topic see a raw
    // partition's evidence in order, and load spreads like the raw topics' partitions.
    const k = `${topic}/${partition}`;
    let b = this.evidenceKeys.get(k);
    if (!b) {
      b = Buffer.from(k);
      this.evidenceKeys.set(k, b);
    }
    return b;
  }

  /**
   * Shadow evidence is observation only: produced (with the sender's retries) but not awaited by
   * the offset commit, so a crash can lose a few shadow events; never an action or real evidence.
   */
  private emitShadow(events: string[]): void {
    for (const e of events) {
      this.sender.send({ topic: this.cfg.shadowEvidenceTopic, key: null, value: Buffer.from(e) }, NO_ACK, 0);
    }
    this.metrics.evidenceEmitted.inc({ topic: this.cfg.shadowEvidenceTopic }, events.length);
  }

  private emit(
    records: ConsumedRecord[],
    segments: Segment[],
    keys: Buffer[],
    chunks: EmitChunk[],
    results: BatchResult[],
    spans: Array<RecordSpans | undefined> | undefined,
    evalStart: number,
  ): void {
    const evalEnd = Date.now();
    const emittedByTopic = new Map<string, number>();
    let base = 0;
    for (const res of results) {
      this.metrics.mergeBatch(res.stats);
      if (res.shadowEvidence) this.emitShadow(res.shadowEvidence);
      const verdicts = res.verdicts;
      const n = verdictCount(verdicts);
      const remaining = new Uint8Array(n);
      const timestamps = new Float64Array(n);
      const latency: Array<HistogramSeries> = new Array(n);
      // One histogram child per dataset of the batch, not one lookup per record.
      const series = verdicts.datasets.map((d) => this.latencyFor(d));
      for (let i = 0; i < n; i++) {
        timestamps[i] = records[base + i].timestamp;
        latency[i] = series[verdicts.dataset[i]];
      }
      const batchSpans = spans?.slice(base, base + n);
      if (batchSpans) {
        for (let i = 0; i < n; i++) {
          const s = batchSpans[i];
          if (s) this.tracer.evaluated(s, records[base + i], verdictDetail(verdicts, i), evalStart, evalEnd);
        }
      }
      const sink = new BatchCompletion(
        remaining,
        segments.slice(base, base + n),
        timestamps,
        latency,
        this.tracker,
        this.flow,
        batchSpans,
      );
      for (let i = 0; i < n; i++) {
        const r = records[base + i];
        emittedByTopic.set(r.topic, (emittedByTopic.get(r.topic) ?? 0) + 1);
        const evidence = evidenceBytes(res, i);
        const action = verdictAction(verdicts, i);
        remaining[i] = action === 'NONE' || (action === 'QUARANTINE' && !this.quarantine) ? 1 : 2;
        const held = action === 'QUARANTINE' && this.quarantine !== undefined;
        // Only records with an action carry a whole verdict (PackedVerdicts).
        const v = action === 'NONE' ? undefined : verdictDetail(verdicts, i);
        let republish: Outgoing | undefined;
        if (v && v.action === 'REPUBLISH' && v.target_topic) {
          republish = {
            topic: v.target_topic,
            key: r.key,
            value: r.value ?? Buffer.alloc(0),
            // Unchanged key, value and headers; provenance headers let consumers dedupe replays.
            headers: [
              ...r.headers.map(([k, val]: [string, Buffer]) => ({ [k]: val })),
              { 'sf-evidence-id': v.evidence_id },
              { 'sf-source': `${r.topic}/${r.partition}/${r.offset}` },
            ],
            timestamp: r.timestamp,
          };
          this.metrics.republished.inc({ topic: v.target_topic });
        }
        // Per-partition order, and QUARANTINED evidence only after its object is written.
        const chunk = chunks[base + i];
        const j = this.emitter.put(
          chunk,
          { topic: this.cfg.evidenceTopic, key: keys[base + i], value: evidence },
          sink,
          i,
          republish,
          held,
        );
        if (v && held && this.quarantine) {
          void this.quarantine
            .write({ ...r, datasetUrn: v.dataset_urn, evidenceId: v.evidence_id, evidenceJson: Buffer.from(evidence) })
            .then(() => {
              sink.ack(i);
              this.emitter.release(chunk, j);
            });
        }
      }
      for (const [topic, count] of emittedByTopic) this.metrics.evidenceEmitted.inc({ topic }, count);
      emittedByTopic.clear();
      base += n;
    }
  }

  /** Every assigned partition gets a lag series, also one that received nothing since start. */
  private async refreshLag(): Promise<void> {
    try {
      await refreshLag(this.consumer, this.tracker.partitions(), this.cfg.offsetReset, this.metrics.consumerLag);
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'lag refresh failed');
    }
  }

  /** Graceful stop: stop fetching, drain in-flight work within the deadline, commit, close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.startStep = 'stopping';
    const deadline = Date.now() + this.cfg.shutdownDeadlineMs;
    await this.loopDone;
    while (this.tracker.inFlight > 0 && Date.now() < deadline) {
      this.commitDone();
      await new Promise((r) => setTimeout(r, 50));
    }
    if (this.tracker.inFlight > 0) {
      this.log.warn(
        { in_flight: this.tracker.inFlight },
        'shutdown deadline reached; undone records will be redelivered',
      );
    }
    try {
      this.commitDone(true);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'final commit failed');
    }
    for (const t of this.timers) clearInterval(t);
    // A poll started during start-up may still be running: let it end before we say stopped.
    await this.snapshots.close();
    await this.consumer.disconnect();
    await this.sender.close(Math.max(1000, deadline - Date.now()));
    await this.pool.close();
    this.log.info('enforcer stopped');
  }
}
