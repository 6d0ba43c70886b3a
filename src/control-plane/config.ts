/** Control plane configuration from the environment (every variable is in docs/api.md). */
import { hostname } from 'node:os';
import { type CommonConfig, ConfigError, commonConfig, env } from '../common/config.js';
import { type AuthConfig, authConfigFromEnv } from './auth.js';
import { DEFAULT_POLICY_STORE } from './store/index.js';

export interface ControlPlaneConfig extends CommonConfig {
  port: number;
  host: string;
  policyStore: string;
  createTables: boolean;
  schemaCheck: 'glue' | 'off';
  auth: AuthConfig;
  evidenceIndex: boolean;
  evidenceIndexPath: string;
  evidenceIndexGroupId: string;
  evidenceIndexMaxRows: number;
}

function onOff(name: string, fallback: boolean): boolean {
  const v = env.str(name, fallback ? 'on' : 'off');
  if (v !== 'on' && v !== 'off') throw new ConfigError(`${name} must be on or off, got "${v}"`);
  return v === 'on';
}

export function controlPlaneConfig(): ControlPlaneConfig {
  const schemaCheck = env.str('SF_SCHEMA_CHECK', 'glue');
  if (schemaCheck !== 'glue' && schemaCheck !== 'off') {
    throw new ConfigError(`SF_SCHEMA_CHECK must be glue or off, got "${schemaCheck}"`);
  }
  return {
    ...commonConfig(),
    port: env.int('SF_HTTP_PORT', 8080),
    host: env.str('SF_HTTP_HOST', '0.0.0.0'),
    policyStore: env.str('SF_POLICY_STORE', DEFAULT_POLICY_STORE),
    createTables: onOff('SF_POLICY_STORE_CREATE_TABLES', false),
    schemaCheck,
    auth: authConfigFromEnv(),
    evidenceIndex: onOff('SF_EVIDENCE_INDEX', true),
    evidenceIndexPath: env.str('SF_EVIDENCE_INDEX_PATH', '.data/evidence-index.db'),
    // Each replica keeps its own embedded index, so each needs every partition: one group per host.
    evidenceIndexGroupId: env.str('SF_EVIDENCE_INDEX_GROUP_ID', `signal-factory-control-plane-${hostname()}`),
    evidenceIndexMaxRows: env.int('SF_EVIDENCE_INDEX_MAX_ROWS', 1_000_000, 1),
  };
}
