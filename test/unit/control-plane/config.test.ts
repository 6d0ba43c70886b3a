import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/common/config.js';
import { controlPlaneConfig } from '../../../src/control-plane/config.js';

const VARS = [
  'SF_SCHEMA_CHECK',
  'SF_GLUE_REGISTRY',
  'SF_AWS_ENDPOINT',
  'SF_EVIDENCE_INDEX',
  'SF_KAFKA_BROKERS',
  'SF_POLICY_STORE',
  'SF_EVIDENCE_INDEX_GROUP_ID',
  'SF_EVIDENCE_RETENTION_DAYS',
];

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, env, { SF_AUTH_JWT_SECRET: 'unit-test-secret-0123456789' });
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

test('zero config: no Glue check and no evidence index, each with the variable that enables it', () => {
  const c = withEnv({}, controlPlaneConfig);
  assert.equal(c.schemaCheck, 'off');
  assert.match(c.schemaCheckReason, /SF_GLUE_REGISTRY/);
  assert.equal(c.evidenceIndex, false, 'never joins whatever listens on 127.0.0.1:9092');
  assert.match(c.evidenceIndexReason, /SF_KAFKA_BROKERS/);
});

test('auto turns on with explicit configuration; explicit values win', () => {
  assert.equal(withEnv({ SF_GLUE_REGISTRY: 'r' }, controlPlaneConfig).schemaCheck, 'glue');
  assert.equal(withEnv({ SF_AWS_ENDPOINT: 'http://127.0.0.1:5000' }, controlPlaneConfig).schemaCheck, 'glue');
  assert.equal(withEnv({ SF_SCHEMA_CHECK: 'glue' }, controlPlaneConfig).schemaCheck, 'glue');
  assert.equal(withEnv({ SF_SCHEMA_CHECK: 'off', SF_GLUE_REGISTRY: 'r' }, controlPlaneConfig).schemaCheck, 'off');
  assert.equal(withEnv({ SF_KAFKA_BROKERS: 'k:9092' }, controlPlaneConfig).evidenceIndex, true);
  assert.equal(withEnv({ SF_EVIDENCE_INDEX: 'on' }, controlPlaneConfig).evidenceIndex, true);
  assert.equal(
    withEnv({ SF_EVIDENCE_INDEX: 'off', SF_KAFKA_BROKERS: 'k:9092' }, controlPlaneConfig).evidenceIndex,
    false,
  );
  assert.throws(() => withEnv({ SF_SCHEMA_CHECK: 'maybe' }, controlPlaneConfig), ConfigError);
  assert.throws(() => withEnv({ SF_EVIDENCE_INDEX: 'yes' }, controlPlaneConfig), /auto, on, off, sqlite:<path>/);
});

test('the evidence index store follows SF_POLICY_STORE unless named; a shared store shares one group', () => {
  const embedded = withEnv({ SF_KAFKA_BROKERS: 'k:9092' }, controlPlaneConfig);
  assert.equal(embedded.evidenceIndexStore, 'sqlite:.data/evidence-index.db');
  assert.match(embedded.evidenceIndexGroupId, /^signal-factory-control-plane-/, 'one group per host');
  assert.equal(embedded.evidenceRetentionDays, 14);
  assert.equal(embedded.evidenceIndexMaxRows, undefined, 'days, not rows');
  const shared = withEnv({ SF_KAFKA_BROKERS: 'k:9092', SF_POLICY_STORE: 'dynamodb:sf' }, controlPlaneConfig);
  assert.equal(shared.evidenceIndexStore, 'dynamodb:sf');
  assert.equal(shared.evidenceIndexGroupId, 'signal-factory-control-plane-evidence-index', 'one group for all');
  const named = withEnv({ SF_EVIDENCE_INDEX: 'dynamodb:ev', SF_EVIDENCE_RETENTION_DAYS: '30' }, controlPlaneConfig);
  assert.equal(named.evidenceIndex, true);
  assert.equal(named.evidenceIndexStore, 'dynamodb:ev');
  assert.equal(named.evidenceRetentionDays, 30);
  assert.throws(() => withEnv({ SF_EVIDENCE_INDEX: 'dynamodb:' }, controlPlaneConfig), ConfigError);
  assert.throws(() => withEnv({ SF_EVIDENCE_RETENTION_DAYS: '0' }, controlPlaneConfig), /SF_EVIDENCE_RETENTION_DAYS/);
});
