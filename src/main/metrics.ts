/**
 * The enforcer's Prometheus metrics (design 9.2: exact names, types and labels).
 * Workers aggregate per batch; the main thread merges each batch's stats here, so the
 * hot path never touches prom-client per record.
 */
import client from 'prom-client';
import type { BatchStats } from '../workers/protocol.js';
import { splitStatsKey } from '../workers/stats-keys.js';
import { BulkHistogram } from './bulk-histogram.js';

/** Unknown or unresolved datasets collapse into one label value to keep cardinality bounded. */
export const UNRESOLVED_DATASET_LABEL = 'unresolved';

export class EnforcerMetrics {
  readonly registry = new client.Registry();
  readonly consumerLag = new client.Gauge({
    name: 'enforcer_consumer_lag',
    help: 'High watermark minus committed offset, per raw partition (refreshed periodically)',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly records = new client.Counter({
    name: 'enforcer_records_total',
    help: 'Raw records evaluated, by result',
    labelNames: ['topic', 'dataset', 'result'],
    registers: [this.registry],
  });
  readonly gateFailures = new client.Counter({
    name: 'enforcer_gate_failures_total',
    help: 'Gate failures by gate and reason code (without field path)',
    labelNames: ['gate', 'reason', 'dataset'],
    registers: [this.registry],
  });
  readonly evalLatency = new BulkHistogram(
    'enforcer_eval_latency_ms',
    'Gate pipeline evaluation time per record, milliseconds',
    'dataset',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 100],
    this.registry,
  );
  readonly emitErrors = new client.Counter({
    name: 'enforcer_evidence_emit_errors_total',
    help: 'Evidence delivery failures (each is retried; nothing is committed without evidence)',
    labelNames: ['topic', 'error'],
    registers: [this.registry],
  });
  readonly policyCacheHitRatio = new client.Gauge({
    name: 'policy_cache_hit_ratio',
    help: 'Share of policy and schema lookups served from the in-memory cache',
    registers: [this.registry],
  });
  readonly evidenceEmitted = new client.Counter({
    name: 'enforcer_evidence_emitted_total',
    help: 'Evidence events handed to the producer (delivery is retried until acknowledged)',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly rawObserved = new client.Counter({
    name: 'enforcer_raw_records_observed_total',
    help: 'Raw records consumed (the denominator of evidence completeness)',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly evidenceLatency = new BulkHistogram(
    'enforcer_evidence_latency_ms',
    'Raw record timestamp to evidence acknowledged by the broker (and action done), milliseconds',
    'dataset',
    [5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000],
    this.registry,
  );
  readonly datasetInfo = new client.Gauge({
    name: 'signal_factory_dataset_info',
    help: 'One series per dataset in the policy snapshot, carrying its tier (for alert joins)',
    labelNames: ['dataset', 'tier', 'mode'],
    registers: [this.registry],
  });
  readonly inFlight = new client.Gauge({
    name: 'enforcer_inflight_records',
    help: 'Records consumed and not yet done',
    registers: [this.registry],
  });
  readonly paused = new client.Gauge({
    name: 'enforcer_paused_partitions',
    help: 'Partitions paused by backpressure',
    registers: [this.registry],
  });
  readonly ready = new client.Gauge({ name: 'enforcer_ready', help: '1 when ready', registers: [this.registry] });
  readonly snapshotAge = new client.Gauge({
    name: 'enforcer_policy_snapshot_age_seconds',
    help: 'Seconds since the policy snapshot was last confirmed current with the control plane',
    registers: [this.registry],
  });
  readonly quarantineWrites = new client.Counter({
    name: 'enforcer_quarantine_writes_total',
    help: 'Quarantine object writes',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly republished = new client.Counter({
    name: 'enforcer_republished_total',
    help: 'Passing records republished to blessed topics',
    labelNames: ['topic'],
    registers: [this.registry],
  });

  private hits = 0;
  private lookups = 0;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /**
   * Lookups of the in-memory policy cache: every resolved record's policy (a miss when the
   * dataset has no policy in the snapshot), every schema lookup (a miss when Glue was asked)
   * and every change-feed poll (a 304 is a hit).
   */
  cacheLookup(hit: boolean, n = 1): void {
    this.lookups += n;
    if (hit) this.hits += n;
    this.policyCacheHitRatio.set(this.hits / this.lookups);
  }

  /** Replaces the dataset info series from a new policy snapshot. */
  setDatasets(policies: Array<{ dataset_urn: string; tier: string; enforcement_mode: string }>): void {
    this.datasetInfo.reset();
    for (const p of policies)
      this.datasetInfo.set({ dataset: p.dataset_urn, tier: p.tier, mode: p.enforcement_mode }, 1);
  }

  /** Merges one batch's worker-side aggregates. */
  mergeBatch(stats: BatchStats): void {
    let resolved = 0;
    let noPolicy = 0;
    for (const key in stats.records) {
      const [topic, dataset, result] = splitStatsKey(key);
      if (dataset) resolved += stats.records[key];
      this.records.inc({ topic, dataset: dataset || UNRESOLVED_DATASET_LABEL, result }, stats.records[key]);
    }
    for (const key in stats.gateFailures) {
      const [gate, reason, dataset] = splitStatsKey(key);
      if (reason === 'POLICY_NOT_FOUND') noPolicy += stats.gateFailures[key];
      this.gateFailures.inc({ gate, reason, dataset: dataset || UNRESOLVED_DATASET_LABEL }, stats.gateFailures[key]);
    }
    if (resolved > noPolicy) this.cacheLookup(true, resolved - noPolicy);
    if (noPolicy > 0) this.cacheLookup(false, noPolicy);
    for (const dataset in stats.evalMs) {
      const h = this.evalLatency.labels(dataset || UNRESOLVED_DATASET_LABEL);
      for (const ms of stats.evalMs[dataset]) h.observe(ms);
    }
  }
}
