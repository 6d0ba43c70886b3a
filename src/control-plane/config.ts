/** Control plane configuration from the environment (every variable is in docs/api.md). */
import { hostname } from 'node:os';
import { type CommonConfig, ConfigError, commonConfig, env } from '../common/config.js';
import { type ConfluentRegistryConfig, confluentRegistryConfig } from '../common/confluent-registry.js';
import { type AuthConfig, authConfigFromEnv } from './auth.js';
import { parseIndexSpec } from './evidence/open.js';
import { DEFAULT_POLICY_STORE } from './store/index.js';

export interface ControlPlaneConfig extends CommonConfig {
  port: number;
  host: string;
  policyStore: string;
  createTables: boolean;
  schemaCheck: 'glue' | 'off';
  /** SF_SCHEMA_CHECK=off: no registry is asked, `csr:` ids included. */
  schemaCheckOff: boolean;
  /** The Confluent-compatible registry `csr:` schema ids are checked against, when set. */
  schemaRegistry: ConfluentRegistryConfig | undefined;
  /** Why the schema check is on or off (logged at start). */
  schemaCheckReason: string;
  auth: AuthConfig;
  evidenceIndex: boolean;
  /** Why the evidence index runs or not (logged at start, shown as its state when disabled). */
  evidenceIndexReason: string;
  /** `sqlite:<path>` or `dynamodb:<table-prefix>`. */
  evidenceIndexStore: string;
  evidenceIndexGroupId: string;
  evidenceIndexMaxRows: number | undefined;
  evidenceRetentionDays: number;
  signalsView: boolean;
  signalsViewReason: string;
  signalsTopic: string;
  incidentsTopic: string;
  signalsStaleAfterSec: number;
}

function onOff(name: string, fallback: boolean): boolean {
  const v = env.str(name, fallback ? 'on' : 'off');
  if (v !== 'on' && v !== 'off') throw new ConfigError(`${name} must be on or off, got "${v}"`);
  return v === 'on';
}

const isSet = (name: string) => (process.env[name] ?? '') !== '';

/**
 * SF_SCHEMA_CHECK=auto (default): check schema ids against Glue only when a registry is configured
 * explicitly (SF_GLUE_REGISTRY or SF_AWS_ENDPOINT set), so a laptop with no AWS accepts policies.
 */
function schemaCheck(): { schemaCheck: 'glue' | 'off'; schemaCheckReason: string } {
  const v = env.str('SF_SCHEMA_CHECK', 'auto');
  if (v !== 'auto' && v !== 'glue' && v !== 'off') {
    throw new ConfigError(`SF_SCHEMA_CHECK must be auto, glue or off, got "${v}"`);
  }
  if (v !== 'auto') return { schemaCheck: v, schemaCheckReason: `SF_SCHEMA_CHECK=${v}` };
  return isSet('SF_GLUE_REGISTRY') || isSet('SF_AWS_ENDPOINT')
    ? { schemaCheck: 'glue', schemaCheckReason: 'SF_SCHEMA_CHECK=auto and a Glue registry is configured' }
    : {
        schemaCheck: 'off',
        schemaCheckReason:
          'SF_SCHEMA_CHECK=auto and neither SF_GLUE_REGISTRY nor SF_AWS_ENDPOINT is set: schema ids are not checked',
      };
}

/**
 * SF_EVIDENCE_INDEX=auto (default): run the index consumer only when SF_KAFKA_BROKERS names the
 * brokers; `on` (or a store spec) runs it against the default (127.0.0.1:9092) too. Never joins a
 * broker by accident. The store follows SF_POLICY_STORE unless named: a DynamoDB policy store gets
 * a DynamoDB index under the same prefix (shared by the replicas), SQLite an embedded file.
 */
function evidenceIndex(policyStore: string) {
  const v = env.str('SF_EVIDENCE_INDEX', 'auto');
  const spec = v.startsWith('sqlite:') || v.startsWith('dynamodb:');
  if (v !== 'auto' && v !== 'on' && v !== 'off' && !spec) {
    throw new ConfigError(
      `SF_EVIDENCE_INDEX must be auto, on, off, sqlite:<path> or dynamodb:<table-prefix>, got "${v}"`,
    );
  }
  if (spec) parseIndexSpec(v);
  const store = spec
    ? v
    : policyStore.startsWith('dynamodb:')
      ? policyStore
      : `sqlite:${env.str('SF_EVIDENCE_INDEX_PATH', '.data/evidence-index.db')}`;
  // An embedded index needs every partition in each replica (a group per host); a shared one is
  // filled once by the replicas together (one group), so nothing is counted twice.
  const group = store.startsWith('dynamodb:')
    ? 'signal-factory-control-plane-evidence-index'
    : `signal-factory-control-plane-${hostname()}`;
  const common = {
    evidenceIndexStore: store,
    evidenceIndexGroupId: env.str('SF_EVIDENCE_INDEX_GROUP_ID', group),
    evidenceIndexMaxRows: isSet('SF_EVIDENCE_INDEX_MAX_ROWS') ? env.int('SF_EVIDENCE_INDEX_MAX_ROWS', 0, 1) : undefined,
    evidenceRetentionDays: env.int('SF_EVIDENCE_RETENTION_DAYS', 14, 1),
  };
  if (v === 'off') return { ...common, evidenceIndex: false, evidenceIndexReason: 'SF_EVIDENCE_INDEX=off' };
  if (v !== 'auto' || isSet('SF_KAFKA_BROKERS'))
    return { ...common, evidenceIndex: true, evidenceIndexReason: `SF_EVIDENCE_INDEX=${v}` };
  return {
    ...common,
    evidenceIndex: false,
    evidenceIndexReason: 'SF_KAFKA_BROKERS is not set: set it (or SF_EVIDENCE_INDEX=on) to run the evidence index',
  };
}

/** SF_SIGNALS_VIEW=auto (default): read the Signal Engine's topics when SF_KAFKA_BROKERS is set. */
function signalsView(): { signalsView: boolean; signalsViewReason: string } {
  const v = env.str('SF_SIGNALS_VIEW', 'auto');
  if (v !== 'auto' && v !== 'on' && v !== 'off')
    throw new ConfigError(`SF_SIGNALS_VIEW must be auto, on or off, got "${v}"`);
  if (v === 'off') return { signalsView: false, signalsViewReason: 'SF_SIGNALS_VIEW=off' };
  if (v === 'on' || isSet('SF_KAFKA_BROKERS')) return { signalsView: true, signalsViewReason: `SF_SIGNALS_VIEW=${v}` };
  return { signalsView: false, signalsViewReason: 'SF_KAFKA_BROKERS is not set (or set SF_SIGNALS_VIEW=on)' };
}

export function controlPlaneConfig(): ControlPlaneConfig {
  const policyStore = env.str('SF_POLICY_STORE', DEFAULT_POLICY_STORE);
  return {
    ...commonConfig(),
    ...schemaCheck(),
    schemaCheckOff: process.env.SF_SCHEMA_CHECK === 'off',
    schemaRegistry: confluentRegistryConfig(),
    ...evidenceIndex(policyStore),
    port: env.int('SF_HTTP_PORT', 8080),
    host: env.str('SF_HTTP_HOST', '0.0.0.0'),
    policyStore,
    createTables: onOff('SF_POLICY_STORE_CREATE_TABLES', false),
    auth: authConfigFromEnv(),
    ...signalsView(),
    signalsTopic: env.str('SF_SIGNALS_TOPIC', 'signal_factory.signals'),
    incidentsTopic: env.str('SF_INCIDENTS_TOPIC', 'signal_factory.incidents'),
    signalsStaleAfterSec: env.int('SF_SIGNALS_STALE_SEC', 60, 1),
  };
}
