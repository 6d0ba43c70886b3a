/** The engine's Prometheus metrics (docs/observability.md lists them). */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export function signalsMetrics() {
  const registry = new Registry();
  // process_resident_memory_bytes, nodejs_heap_size_used_bytes, nodejs_external_memory_bytes:
  // with signals_client_queued_bytes they split the engine's RSS (perf/signals.ts prints it).
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    folded: new Counter({
      name: 'signals_evidence_folded_total',
      help: 'Evidence events folded into partials (stage 1)',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'signals_evidence_duplicates_total',
      help: 'Repeated evidence dropped (stage 1 dedup)',
      registers: [registry],
    }),
    unresolved: new Counter({
      name: 'signals_evidence_unresolved_total',
      help: 'Evidence with no dataset (not counted)',
      registers: [registry],
    }),
    invalid: new Counter({
      name: 'signals_invalid_messages_total',
      help: 'Messages that are not evidence or partials (skipped)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    partials: new Counter({
      name: 'signals_partials_total',
      help: 'Partials merged (stage 2), by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    transactions: new Counter({
      name: 'signals_fold_transactions_total',
      help: 'Stage 1 transactions committed',
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'signals_engine_lag',
      help: 'Messages not yet consumed, by stage',
      labelNames: ['stage'],
      registers: [registry],
    }),
    assigned: new Gauge({
      name: 'signals_partitions_assigned',
      help: 'Partitions this process holds, by stage',
      labelNames: ['stage'],
      registers: [registry],
    }),
    queued: new Gauge({
      name: 'signals_client_queued_bytes',
      help: 'Bytes held in librdkafka queues (consumer prefetch, producer queue), by client',
      labelNames: ['client'],
      registers: [registry],
    }),
    windows: new Gauge({
      name: 'signals_windows_open',
      help: 'Dataset buckets held by stage 2',
      registers: [registry],
    }),
    datasets: new Gauge({
      name: 'signals_datasets_owned',
      help: 'Datasets this process evaluates',
      registers: [registry],
    }),
    compliance: new Gauge({
      name: 'signals_dataset_compliance_rate',
      help: 'PASS share over the SLO window',
      labelNames: ['dataset'],
      registers: [registry],
    }),
    rpm: new Gauge({
      name: 'signals_dataset_records_per_minute',
      help: 'Mean records/min over the SLO window',
      labelNames: ['dataset'],
      registers: [registry],
    }),
    age: new Gauge({
      name: 'signals_dataset_freshness_age_seconds',
      help: 'Age of the newest record',
      labelNames: ['dataset'],
      registers: [registry],
    }),
    breached: new Gauge({
      name: 'signals_dataset_breached',
      help: '1 while a signal breaches its SLO',
      labelNames: ['dataset', 'kind'],
      registers: [registry],
    }),
    openIncidents: new Gauge({
      name: 'signals_open_incidents',
      help: 'Open incidents by dataset and kind',
      labelNames: ['dataset', 'kind'],
      registers: [registry],
    }),
  };
  return m;
}
export type SignalsMetrics = ReturnType<typeof signalsMetrics>;
