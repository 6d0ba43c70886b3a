/** Control plane configuration from the environment (every variable is in docs/api.md). */
import { hostname } from 'node:os';
import { type CommonConfig, ConfigError, commonConfig, env } from '../common/config.js';
import { type ConfluentRegistryConfig, confluentRegistryConfig } from '../common/confluent-registry.js';
import { type AuthConfig, authConfigFromEnv } from './auth.js';
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
  evidenceIndexPath: string;
  evidenceIndexGroupId: string;
  evidenceIndexMaxRows: number;
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
 * brokers; `on` runs it against the default (127.0.0.1:9092) too. Never joins a broker by accident.
 */
function evidenceIndex(): { evidenceIndex: boolean; evidenceIndexReason: string } {
  const v = env.str('SF_EVIDENCE_INDEX', 'auto');
  if (v !== 'auto' && v !== 'on' && v !== 'off') {
    throw new ConfigError(`SF_EVIDENCE_INDEX must be auto, on or off, got "${v}"`);
  }
  if (v === 'off') return { evidenceIndex: false, evidenceIndexReason: 'SF_EVIDENCE_INDEX=off' };
  if (v === 'on' || isSet('SF_KAFKA_BROKERS'))
    return { evidenceIndex: true, evidenceIndexReason: `SF_EVIDENCE_INDEX=${v}` };
  return {
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
  return {
    ...commonConfig(),
    ...schemaCheck(),
    schemaCheckOff: process.env.SF_SCHEMA_CHECK === 'off',
    schemaRegistry: confluentRegistryConfig(),
    ...evidenceIndex(),
    port: env.int('SF_HTTP_PORT', 8080),
    host: env.str('SF_HTTP_HOST', '0.0.0.0'),
    policyStore: env.str('SF_POLICY_STORE', DEFAULT_POLICY_STORE),
    createTables: onOff('SF_POLICY_STORE_CREATE_TABLES', false),
    auth: authConfigFromEnv(),
    evidenceIndexPath: env.str('SF_EVIDENCE_INDEX_PATH', '.data/evidence-index.db'),
    // Each replica keeps its own embedded index, so each needs every partition: one group per host.
    evidenceIndexGroupId: env.str('SF_EVIDENCE_INDEX_GROUP_ID', `signal-factory-control-plane-${hostname()}`),
    evidenceIndexMaxRows: env.int('SF_EVIDENCE_INDEX_MAX_ROWS', 1_000_000, 1),
    ...signalsView(),
    signalsTopic: env.str('SF_SIGNALS_TOPIC', 'signal_factory.signals'),
    incidentsTopic: env.str('SF_INCIDENTS_TOPIC', 'signal_factory.incidents'),
    signalsStaleAfterSec: env.int('SF_SIGNALS_STALE_SEC', 60, 1),
  };
}
