/**
 * Zero configuration (issue 13, item 6): a real control plane process with only
 * SF_AUTH_JWT_SECRET (and its own SQLite file) accepts the example policy. Before: 503
 * SCHEMA_REGISTRY_UNAVAILABLE (Glue checked with no AWS credentials) and nothing said what to do;
 * and with no SF_KAFKA_BROKERS the evidence index joined whatever listened on 127.0.0.1:9092.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ordersExample } from '../../../src/dev/examples.js';
import { api } from '../../../src/dev/services.js';
import { startControlPlane } from '../../helpers/stack.js';
import type { Json } from './helpers.js';

/** Everything .stack/env exports besides the secret, unset. */
const UNSET = {
  SF_KAFKA_BROKERS: '',
  SF_AWS_ENDPOINT: '',
  SF_GLUE_REGISTRY: '',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  SF_EVIDENCE_TOPIC: '',
  SF_QUARANTINE_URI: '',
  SF_EVIDENCE_INDEX: '',
  SF_SCHEMA_CHECK: '',
};

test('only SF_AUTH_JWT_SECRET: the example policy is accepted; the index is disabled and says how to enable it', async (t) => {
  const cp = await startControlPlane(t, UNSET);
  const contract = ordersExample.contract();
  assert.equal((await api(cp.url, cp.admin, 'PUT', `/v1/contracts/${contract.contract_id}`, contract)).status, 201);
  const policy = ordersExample.policy();
  const put = await api(
    cp.url,
    cp.admin,
    'PUT',
    `/v1/datasets/${encodeURIComponent(policy.dataset_urn)}/policy`,
    policy,
  );
  assert.equal(put.status, 201, JSON.stringify(put.body));

  const ev = await api(cp.url, cp.admin, 'GET', '/v1/evidence');
  assert.equal(ev.status, 503);
  assert.equal((ev.body as Json).error.code, 'EVIDENCE_INDEX_DISABLED');
  assert.match((ev.body as Json).error.message, /SF_KAFKA_BROKERS/);
  const ready = (await api(cp.url, cp.admin, 'GET', '/readyz')).body as Json;
  assert.equal(ready.details.evidence_index.state, 'disabled');

  const log = readFileSync(cp.service.logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
  const disabled = log.find((l) => l.msg === 'evidence index disabled');
  assert.match(disabled?.reason ?? '', /SF_KAFKA_BROKERS/, 'the start-up log names the variable');
  const check = log.find((l) => l.msg === 'schema id check');
  assert.equal(check?.schemaCheck, 'off');
  assert.ok(!log.some((l) => String(l.msg).startsWith('kafka client')), 'no Kafka client was started');
});

test('Glue configured but unreachable: 503 names the switch SF_SCHEMA_CHECK', async (t) => {
  const cp = await startControlPlane(t, {
    ...UNSET,
    SF_AWS_ENDPOINT: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
  });
  const policy = { ...ordersExample.policy(), contract_id: undefined };
  const put = await api(
    cp.url,
    cp.admin,
    'PUT',
    `/v1/datasets/${encodeURIComponent(policy.dataset_urn)}/policy`,
    policy,
  );
  assert.equal(put.status, 503);
  assert.equal((put.body as Json).error.code, 'SCHEMA_REGISTRY_UNAVAILABLE');
  assert.match((put.body as Json).error.message, /SF_SCHEMA_CHECK=off/);
  assert.equal((put.body as Json).error.details.switch, 'SF_SCHEMA_CHECK');
});
