/**
 * Starts the real control plane on port 0 and mints real HS256 tokens. Endpoints of real
 * dependencies come from the environment (scripts/stack up writes them to .stack/env).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import kafka from '@confluentinc/kafka-javascript';
import { dynamoClient } from '../../../src/common/aws.js';
import { mintDevToken } from '../../../src/common/dev-token.js';
import { buildApp } from '../../../src/control-plane/app.js';
import { createAuthenticator, type Principal } from '../../../src/control-plane/auth.js';
import type { EvidenceIndex } from '../../../src/control-plane/evidence/index-store.js';
import type { IndexStatus } from '../../../src/control-plane/evidence/status.js';
import { noSchemaCheck, type SchemaRegistry } from '../../../src/control-plane/schema-registry.js';
import type { ShadowEvidenceSource } from '../../../src/control-plane/shadow/reader.js';
import { createTables, DynamoStore } from '../../../src/control-plane/store/dynamodb.js';
import { SqliteStore } from '../../../src/control-plane/store/sqlite.js';
import type { ControlPlaneStore } from '../../../src/control-plane/store/types.js';

export const SECRET = 'integration-test-secret-0123456789';

/** The variable or a clear failure: integration tests never silently skip their dependency. */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run 'scripts/stack up && . .stack/env' (or export it) first`);
  return v;
}

export function awsFromEnv() {
  return { awsEndpoint: requireEnv('SF_AWS_ENDPOINT'), awsRegion: process.env.AWS_REGION || 'us-east-1' };
}

/** A DynamoDB store on moto with its own table prefix (created twice: the bootstrap is idempotent). */
export async function dynamoStore(t: { after(fn: () => unknown): void }): Promise<DynamoStore> {
  const client = dynamoClient(awsFromEnv());
  const prefix = `sf-test-${randomUUID().slice(0, 8)}`;
  await createTables(client, prefix);
  await createTables(client, prefix);
  const store = new DynamoStore(client, prefix);
  t.after(() => store.close());
  return store;
}

export function tempSqlite(t: TestContext): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'sf-cp-'));
  const store = new SqliteStore(join(dir, 'cp.db'));
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

export interface Running {
  url: string;
  store: ControlPlaneStore;
  token(p: Partial<Principal> & { sub: string }): Promise<string>;
  call(method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON response bodies, asserted field by field
export type Json = any;

export interface Res {
  status: number;
  headers: Headers;
  body: Json;
}

export async function startApp(
  t: TestContext,
  opts: {
    store?: ControlPlaneStore;
    schemas?: SchemaRegistry;
    evidence?: EvidenceIndex;
    evidenceStatus?: () => IndexStatus;
    consoleDir?: string;
    shadowEvidence?: ShadowEvidenceSource;
  } = {},
): Promise<Running> {
  const store = opts.store ?? tempSqlite(t);
  const app = await buildApp({
    store,
    auth: createAuthenticator({ secret: SECRET }),
    schemas: opts.schemas ?? noSchemaCheck,
    evidence: opts.evidence,
    evidenceStatus: opts.evidenceStatus,
    consoleDir: opts.consoleDir,
    shadowEvidence: opts.shadowEvidence,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return {
    url,
    store,
    token: (p) => mintDevToken(SECRET, { teams: [], roles: [], ...p }),
    async call(method, path, token, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (metrics): keep the text
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
  };
}

export const urnPath = (urn: string, sub = 'policy') => `/v1/datasets/${encodeURIComponent(urn)}/${sub}`;

export function policy(urn: string, over: Record<string, unknown> = {}) {
  return {
    dataset_urn: urn,
    enforcement_mode: 'QUARANTINE_ON_FAIL',
    pii_policy: 'BLOCK',
    owners: ['orders-team'],
    tier: 'TIER_1',
    freshness_slo_sec: 120,
    volume_rpm_expected: 1000,
    ...over,
  };
}

export function contract(id: string, over: Record<string, unknown> = {}) {
  return {
    contract_id: id,
    fields: [
      { path: 'order_id', required: true, type: 'string' },
      { path: 'amount', type: 'number', minimum: 0 },
    ],
    ...over,
  };
}

/** A fresh topic (deleted after the test) and a connected producer. */
export async function topicWith(t: TestContext, partitions: number, prefix = 'sf-cp-test-evidence') {
  const brokers = requireEnv('SF_KAFKA_BROKERS');
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  const k = new kafka.KafkaJS.Kafka({});
  const admin = k.admin({ 'bootstrap.servers': brokers });
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  const producer = k.producer({ 'bootstrap.servers': brokers, log_level: 3 });
  await producer.connect();
  t.after(() => producer.disconnect());
  return { brokers, topic, producer };
}
