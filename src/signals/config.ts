/** Signal Engine configuration from the environment (every variable is in the README table and docs/signals.md). */
import { type CommonConfig, commonConfig, env } from '../common/config.js';
import type { IncidentSettings } from './incidents.js';
import type { WindowSettings } from './window.js';

export interface SignalsConfig extends CommonConfig {
  groupId: string;
  partialsTopic: string;
  signalsTopic: string;
  incidentsTopic: string;
  /** Partitions of the topics the engine creates when they are missing. */
  topicPartitions: number;
  controlPlaneUrl: string;
  controlPlaneToken: string | undefined;
  httpPort: number;
  /** Evidence consumed per stage 1 transaction at most, and the longest wait for it. */
  batchSize: number;
  batchWaitMs: number;
  /**
   * librdkafka prefetch per assigned partition, KB (queued.max.messages.kbytes: librdkafka 2.15
   * applies it per partition, not per consumer as documented; measured, perf/README.md).
   */
  fetchQueueKb: number;
  /** How often stage 2 evaluates every dataset it owns and publishes snapshots. */
  evalIntervalMs: number;
  policyRefreshMs: number;
  dedupLookback: number;
  /** Consumer group session timeout: how soon a killed process's partitions move on. */
  sessionTimeoutMs: number;
  /** Bound on a stage 1 transaction: a killed process's open transaction blocks stage 2 this long at most. */
  transactionTimeoutMs: number;
  window: WindowSettings;
  incidents: IncidentSettings;
  /** A stable id per process for the transactional producer (fencing). */
  instanceId: string;
}

export function signalsConfig(): SignalsConfig {
  const bucketMs = env.int('SF_SIGNALS_BUCKET_SEC', 60, 1) * 1000;
  return {
    ...commonConfig(),
    groupId: env.str('SF_SIGNALS_GROUP_ID', 'signal-factory-signals'),
    partialsTopic: env.str('SF_SIGNALS_PARTIALS_TOPIC', 'signal_factory.signals.partials'),
    signalsTopic: env.str('SF_SIGNALS_TOPIC', 'signal_factory.signals'),
    incidentsTopic: env.str('SF_INCIDENTS_TOPIC', 'signal_factory.incidents'),
    topicPartitions: env.int('SF_SIGNALS_TOPIC_PARTITIONS', 12, 1),
    controlPlaneUrl: env.str('SF_CONTROL_PLANE_URL', 'http://127.0.0.1:8080'),
    controlPlaneToken: process.env.SF_CONTROL_PLANE_TOKEN || undefined,
    httpPort: env.int('SF_SIGNALS_HTTP_PORT', 9465, 0),
    batchSize: env.int('SF_SIGNALS_BATCH_SIZE', 10_000, 1),
    batchWaitMs: env.int('SF_SIGNALS_BATCH_WAIT_MS', 500, 10),
    fetchQueueKb: env.int('SF_SIGNALS_FETCH_QUEUE_KB', 2048, 64),
    evalIntervalMs: env.int('SF_SIGNALS_EVAL_INTERVAL_MS', 5000, 100),
    policyRefreshMs: env.int('SF_POLICY_REFRESH_MS', 5000, 100),
    dedupLookback: env.int('SF_SIGNALS_DEDUP_LOOKBACK', 50_000, 0),
    sessionTimeoutMs: env.int('SF_SIGNALS_SESSION_TIMEOUT_MS', 10_000, 6000),
    transactionTimeoutMs: env.int('SF_SIGNALS_TRANSACTION_TIMEOUT_MS', 10_000, 1000),
    window: {
      bucketMs,
      horizonMs: env.int('SF_SIGNALS_HORIZON_MIN', 60, 1) * 60_000,
      allowedLatenessMs: env.int('SF_SIGNALS_ALLOWED_LATENESS_SEC', 300, 0) * 1000,
      minRecords: env.int('SF_SIGNALS_MIN_RECORDS', 20, 1),
      ewmaAlpha: 0.2,
    },
    incidents: {
      openAfterMs: env.int('SF_SIGNALS_OPEN_AFTER_SEC', 120, 0) * 1000,
      resolveAfterMs: env.int('SF_SIGNALS_RESOLVE_AFTER_SEC', 300, 0) * 1000,
    },
    instanceId: env.str('SF_SIGNALS_INSTANCE_ID', `${process.pid}-${Date.now().toString(36)}`),
  };
}
