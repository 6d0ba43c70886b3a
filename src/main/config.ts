/** Enforcer configuration from the environment (names in INTERFACE.md and the README table). */
import { type CommonConfig, ConfigError, commonConfig, defaultWorkers, env } from '../common/config.js';
import { type ConfluentRegistryConfig, confluentRegistryConfig } from '../common/confluent-registry.js';

export interface EnforcerConfig extends CommonConfig {
  /** Raw topics: a list, or a single regex (librdkafka subscribes with a leading ^). */
  topics: string[] | RegExp;
  groupId: string;
  workers: number;
  controlPlaneUrl: string;
  controlPlaneToken: string | undefined;
  httpPort: number;
  /** Where consumption starts without a committed offset: latest (design 7.1) or earliest. */
  offsetReset: 'latest' | 'earliest';
  /** Records per worker task. */
  batchSize: number;
  /** Per-record evaluation budget, from the record's start: past it, EVALUATION_TIMEOUT (eval-watchdog.ts). */
  recordBudgetMs: number;
  /** Bound on records consumed but not yet done (evidence acked, actions done): hold above it. */
  maxInFlight: number;
  /** Bound on the bytes (record values) consumed but not yet done, KiB: hold above it. */
  maxInFlightKb: number;
  /** A hold longer than this pauses the partitions and keeps polling (src/main/flow.ts). */
  holdBeforePauseMs: number;
  /** librdkafka prefetch budget (queued.max.messages.kbytes). */
  fetchQueueKb: number;
  /** How often done offsets are committed. */
  commitIntervalMs: number;
  /** How often the control plane snapshot is polled (ETag, cheap when unchanged). */
  policyRefreshMs: number;
  schemaCacheTtlMs: number;
  schemaRetryMs: number;
  /** The Confluent-compatible registry for `csr:` schema ids and Confluent-framed records (SF_SCHEMA_REGISTRY_*). */
  schemaRegistry: ConfluentRegistryConfig | undefined;
  /** Where evidence (and republished records) go: a separate cluster is allowed [SF_KAFKA_BROKERS]. */
  evidenceBrokers: string;
  /** Static group membership (group.instance.id), e.g. the pod name: a restarted process gets its partitions back at once. */
  instanceId: string | undefined;
  /** How often enforcer_consumer_lag is refreshed from the broker's high watermarks. */
  lagRefreshMs: number;
  quarantineUri: string | undefined;
  /** Bounded delivery timeout of the evidence producer (design 7.2). */
  deliveryTimeoutMs: number;
  /** Bytes the evidence producer may queue in librdkafka for the broker, KiB (queue.buffering.max.kbytes). */
  evidenceQueueKb: number;
  /** Producer identity: HMAC keys by key id, `kid1:secret1,kid2:secret2`. */
  identityKeys: Record<string, string>;
}

function parseTopics(raw: string | undefined): string[] | RegExp {
  if (!raw) throw new ConfigError('SF_ENFORCER_TOPICS is required: comma-separated topics or one /regex/');
  if (raw.length > 2 && raw.startsWith('/') && raw.endsWith('/')) {
    try {
      return new RegExp(`^${raw.slice(1, -1)}$`);
    } catch (e) {
      throw new ConfigError(`SF_ENFORCER_TOPICS: invalid regex: ${(e as Error).message}`);
    }
  }
  const list = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (list.length === 0) throw new ConfigError('SF_ENFORCER_TOPICS lists no topic');
  return list;
}

export function parseKeys(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',').filter(Boolean)) {
    const i = pair.indexOf(':');
    if (i <= 0) throw new ConfigError('SF_IDENTITY_KEYS must be `kid:secret[,kid:secret]`');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

export function enforcerConfig(): EnforcerConfig {
  const reset = env.str('SF_ENFORCER_OFFSET_RESET', 'latest');
  if (reset !== 'latest' && reset !== 'earliest')
    throw new ConfigError('SF_ENFORCER_OFFSET_RESET must be latest or earliest');
  const common = commonConfig();
  return {
    ...common,
    evidenceBrokers: env.str('SF_EVIDENCE_BROKERS', common.brokers),
    topics: parseTopics(process.env.SF_ENFORCER_TOPICS),
    groupId: env.str('SF_ENFORCER_GROUP_ID', 'signal-factory-enforcer'),
    instanceId: process.env.SF_ENFORCER_INSTANCE_ID || undefined,
    workers: env.int('SF_WORKERS', defaultWorkers(), 1),
    controlPlaneUrl: env.str('SF_CONTROL_PLANE_URL', 'http://127.0.0.1:8080'),
    controlPlaneToken: process.env.SF_CONTROL_PLANE_TOKEN || undefined,
    httpPort: env.int('SF_ENFORCER_HTTP_PORT', 9464, 0),
    offsetReset: reset,
    batchSize: env.int('SF_ENFORCER_BATCH_SIZE', 512, 1),
    recordBudgetMs: env.int('SF_RECORD_BUDGET_MS', 2000, 1),
    maxInFlight: env.int('SF_ENFORCER_MAX_INFLIGHT', 16384, 1),
    maxInFlightKb: env.int('SF_ENFORCER_MAX_INFLIGHT_KB', 4096, 64),
    holdBeforePauseMs: env.int('SF_ENFORCER_HOLD_BEFORE_PAUSE_MS', 10_000, 100),
    fetchQueueKb: env.int('SF_ENFORCER_FETCH_QUEUE_KB', 16384, 64),
    commitIntervalMs: env.int('SF_ENFORCER_COMMIT_INTERVAL_MS', 1000, 10),
    policyRefreshMs: env.int('SF_POLICY_REFRESH_MS', 2000, 100),
    schemaCacheTtlMs: env.int('SF_SCHEMA_CACHE_TTL_MS', 120_000, 1000),
    schemaRetryMs: env.int('SF_SCHEMA_RETRY_MS', 5000, 100),
    schemaRegistry: confluentRegistryConfig(),
    lagRefreshMs: env.int('SF_LAG_REFRESH_MS', 5000, 100),
    quarantineUri: process.env.SF_QUARANTINE_URI || undefined,
    deliveryTimeoutMs: env.int('SF_EVIDENCE_DELIVERY_TIMEOUT_MS', 120_000, 1000),
    evidenceQueueKb: env.int('SF_EVIDENCE_QUEUE_KB', 16384, 1024),
    identityKeys: parseKeys(process.env.SF_IDENTITY_KEYS),
  };
}
