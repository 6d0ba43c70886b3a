/**
 * The evidence index filled from a real broker (SF_KAFKA_BROKERS): produce evidence events with
 * kafka-javascript, query them through GET /v1/evidence with every filter. A fresh topic per run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import kafka from '@confluentinc/kafka-javascript';
import { dynamoClient } from '../../../src/common/aws.js';
import { createLogger } from '../../../src/common/logger.js';
import { EvidenceIndexer } from '../../../src/control-plane/evidence/consumer.js';
import {
  createEvidenceTables,
  DynamoEvidenceIndex,
  evidenceTableNames,
} from '../../../src/control-plane/evidence/dynamodb-index.js';
import type { EvidenceIndex, IndexedEvidence } from '../../../src/control-plane/evidence/index-store.js';
import { SqliteEvidenceIndex } from '../../../src/control-plane/evidence/sqlite-index.js';
import type { EvidenceEvent } from '../../../src/models/index.js';
import { awsFromEnv, startApp, topicWith } from './helpers.js';

function evidence(i: number, urn: string, result: 'PASS' | 'FAIL'): EvidenceEvent {
  const gate = i % 2 === 0 ? 'CONTRACT' : 'SCHEMA';
  return {
    evidence_id: `evd-test-${i}`,
    timestamp: new Date(Date.UTC(2026, 0, 13, 12, 0, i)).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: urn,
    producer: { producer_id: i < 3 ? 'legacy-svc' : 'orders-svc', identity_confidence: 'MEDIUM' },
    source: {
      raw_topic: i === 9 ? 'raw.payments.events' : 'raw.orders.events',
      partition: 0,
      offset: i,
      key: `o-${i}`,
      event_time: new Date(0).toISOString(),
    },
    schema: { schema_id: 'glue:orders.created:1' },
    contract: { contract_id: null },
    validation: {
      result,
      failed_gates: result === 'FAIL' ? [gate] : [],
      reason_codes: result === 'FAIL' ? [i === 3 ? 'FORMAT_MISMATCH:created_at' : 'MISSING_FIELD:order_id'] : [],
    },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
  };
}

/** Old fixed timestamps (2026-01-13): a retention long enough to keep them. */
const RETENTION_DAYS = 3650;

function indexer(t: TestContext, brokers: string, topic: string, index: EvidenceIndex, groupId: string) {
  const i = new EvidenceIndexer({
    brokers,
    topic,
    groupId,
    index,
    logger: createLogger('evidence-test', 'warn'),
  }).start();
  t.after(() => i.stop());
  return i;
}

const until = async (what: string, ok: () => Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

const ORDERS = 'urn:dp:orders:created';
const PAYMENTS = 'urn:dp:payments:settled';
const MINUTE = '2026-01-13T12:00:00.000Z';

/**
 * Produces 10 events (FAIL when i % 3 == 0), indexes them, and checks every filter, the lookups
 * and the per-minute counts through the API; then a second group re-reads the whole topic into
 * the same index (a redelivery of every offset) and the counts do not move.
 */
async function exercise(t: TestContext, index: EvidenceIndex, opts: { replicas: number }) {
  const { brokers, topic, producer } = await topicWith(t, 2);
  const group = `sf-cp-test-${randomUUID()}`;
  const replicas = Array.from({ length: opts.replicas }, () => indexer(t, brokers, topic, index, group));
  const events = Array.from({ length: 10 }, (_, i) =>
    evidence(i, i < 6 ? ORDERS : PAYMENTS, i % 3 === 0 ? 'FAIL' : 'PASS'),
  );
  await producer.send({
    topic,
    messages: [
      ...events.map((e) => ({ key: e.evidence_id, value: JSON.stringify(e) })),
      { key: 'junk', value: 'not evidence' },
    ],
  });
  const cp = await startApp(t, { evidence: index, evidenceStatus: () => replicas[0].status() });
  const token = await cp.token({ sub: 'reader' });
  const counts = async (urn: string) => {
    const r = await cp.call(
      'GET',
      `/v1/evidence/counts?dataset_urn=${encodeURIComponent(urn)}&since=${MINUTE}&until=2026-01-13T13:00:00Z`,
      token,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items;
  };
  // Until the index reaches its brokers the API answers 503 EVIDENCE_INDEX_UNAVAILABLE (by design).
  await until('the index reached its brokers', async () =>
    ['catching-up', 'live'].includes(replicas[0].status().state),
  );
  await until('every event counted', async () => {
    const c = [...(await counts(ORDERS)), ...(await counts(PAYMENTS))];
    return c.reduce((n: number, m: { pass: number; fail: number }) => n + m.pass + m.fail, 0) >= events.length;
  });
  const expected = {
    [ORDERS]: [{ minute: MINUTE, pass: 4, fail: 2 }],
    [PAYMENTS]: [{ minute: MINUTE, pass: 2, fail: 2 }],
  };
  assert.deepEqual(await counts(ORDERS), expected[ORDERS]);
  assert.deepEqual(await counts(PAYMENTS), expected[PAYMENTS]);

  const ids = async (q: string) => {
    const r = await cp.call('GET', `/v1/evidence?${q}`, token);
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    return r.body.items.map((e: EvidenceEvent) => e.evidence_id);
  };
  assert.deepEqual(await ids('limit=100'), ['evd-test-9', 'evd-test-6', 'evd-test-3', 'evd-test-0'], 'FAIL only');
  assert.deepEqual(await ids(`dataset_urn=${encodeURIComponent(ORDERS)}&result=FAIL`), ['evd-test-3', 'evd-test-0']);
  assert.deepEqual(await ids('result=PASS'), [], 'PASS evidence is counted and archived, not indexed');
  assert.deepEqual(await ids(`since=${encodeURIComponent('2026-01-13T12:00:08Z')}`), ['evd-test-9']);
  const p1 = await cp.call('GET', '/v1/evidence?limit=2', token);
  assert.deepEqual(
    p1.body.items.map((e: EvidenceEvent) => e.evidence_id),
    ['evd-test-9', 'evd-test-6'],
  );
  assert.deepEqual(await ids(`limit=2&cursor=${p1.body.next_cursor}`), ['evd-test-3', 'evd-test-0']);
  assert.deepEqual(await ids(`dataset_urn=${encodeURIComponent(ORDERS)}&limit=1&cursor=${p1.body.next_cursor}`), [
    'evd-test-3',
  ]);
  assert.deepEqual(await ids('raw_topic=raw.payments.events'), ['evd-test-9']);
  assert.deepEqual(await ids('reason_code=FORMAT_MISMATCH:created_at'), ['evd-test-3']);
  assert.deepEqual(await ids('reason_code=FORMAT_MISMATCH'), ['evd-test-3'], 'a bare code matches CODE:<path>');
  assert.deepEqual(await ids('reason_code=MISSING_FIELD'), ['evd-test-9', 'evd-test-6', 'evd-test-0']);
  assert.deepEqual(await ids('reason_code=missing_field'), [], 'codes match case-sensitively');
  assert.deepEqual(await ids('gate=SCHEMA'), ['evd-test-9', 'evd-test-3']);
  assert.deepEqual(await ids('producer=legacy-svc'), ['evd-test-0']);
  assert.deepEqual(
    await ids(
      `since=${encodeURIComponent('2026-01-13T12:00:02Z')}&until=${encodeURIComponent('2026-01-13T12:00:04Z')}`,
    ),
    ['evd-test-3'],
  );
  // Lookup by the raw record's coordinates.
  assert.deepEqual(await ids('raw_topic=raw.orders.events&partition=0&offset=6'), ['evd-test-6']);
  assert.deepEqual(await ids('raw_topic=raw.orders.events&partition=0&offset=5'), [], 'a PASS record');
  const half = await cp.call('GET', '/v1/evidence?partition=0&offset=6', token);
  assert.equal(half.status, 400);
  assert.equal(half.body.error.code, 'VALIDATION_FAILED');
  const unknown = await cp.call('GET', '/v1/evidence?raw_topc=raw.orders.events', token);
  assert.equal(unknown.body.error.code, 'UNKNOWN_QUERY_PARAMETER');
  const noUrn = await cp.call('GET', '/v1/evidence/counts', token);
  assert.equal(noUrn.status, 400);

  const one = await cp.call('GET', '/v1/evidence/evd-test-6', token);
  assert.equal(one.status, 200);
  assert.equal(one.body.evidence_id, 'evd-test-6');
  const pass = await cp.call('GET', '/v1/evidence/evd-test-4', token);
  assert.equal(pass.status, 404);
  assert.equal(pass.body.error.code, 'EVIDENCE_NOT_FOUND');

  // A redelivery of every offset (a new group from the start, as after a crash before a commit).
  const again = indexer(t, brokers, topic, index, `sf-cp-test-${randomUUID()}`);
  await until('the second group caught up', async () => again.status().state === 'live');
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await counts(ORDERS), expected[ORDERS], 'redelivered evidence is not counted again');
  assert.deepEqual(await counts(PAYMENTS), expected[PAYMENTS]);
  assert.deepEqual(await ids('limit=100'), ['evd-test-9', 'evd-test-6', 'evd-test-3', 'evd-test-0']);
  return { cp, token };
}

test('SQLite index: FAIL evidence by id, coordinates and every filter; per-minute counts once', async (t) => {
  const index = new SqliteEvidenceIndex(':memory:', { retentionDays: RETENTION_DAYS });
  t.after(() => index.close());
  const { cp, token } = await exercise(t, index, { replicas: 1 });
  const live = await cp.call('GET', '/v1/evidence?limit=1', token);
  assert.match(live.headers.get('x-evidence-index-state') ?? '', /live|catching-up/);
});

test('DynamoDB index (moto): two replicas in one group share it; counts once; TTL set', async (t) => {
  const client = dynamoClient(awsFromEnv());
  const prefix = `sf-test-ev-${randomUUID().slice(0, 8)}`;
  await createEvidenceTables(client, prefix);
  await createEvidenceTables(client, prefix); // idempotent bootstrap
  const index = new DynamoEvidenceIndex(client, prefix, RETENTION_DAYS);
  await exercise(t, index, { replicas: 2 });
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: evidenceTableNames(prefix).evidence }));
  assert.equal(ttl.TimeToLiveDescription?.AttributeName, 'expires_at');
  assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED');
  // Past its TTL an item is no longer served (DynamoDB deletes it within about two days; moto never).
  const shortLived = new DynamoEvidenceIndex(client, prefix, 1);
  const nearlyOld = { ...evidence(0, ORDERS, 'FAIL'), evidence_id: 'evd-ttl' };
  nearlyOld.timestamp = new Date(Date.now() - 86_400_000 + 2000).toISOString();
  const tooOld = {
    ...nearlyOld,
    evidence_id: 'evd-too-old',
    timestamp: new Date(Date.now() - 86_401_000).toISOString(),
  };
  const r = await shortLived.insert([
    { event: nearlyOld, partition: 0, offset: 0 },
    { event: tooOld, partition: 0, offset: 1 },
  ]);
  assert.equal(r.stored, 1, 'an event already past the retention is not stored');
  assert.equal((await shortLived.get('evd-ttl'))?.evidence_id, 'evd-ttl');
  await new Promise((res) => setTimeout(res, 2500));
  assert.equal(await shortLived.get('evd-ttl'), undefined, 'expired');
  await index.close();
});

/** The evidence of raw record (raw.exact, rawPartition, rawOffset): FAIL when the offset is a multiple of 3. */
function rawEvidence(rawPartition: number, rawOffset: number): EvidenceEvent {
  const e = evidence(rawOffset, ORDERS, rawOffset % 3 === 0 ? 'FAIL' : 'PASS');
  return {
    ...e,
    evidence_id: `evd-exact-${rawPartition}-${rawOffset}`,
    source: { ...e.source, raw_topic: 'raw.exact', partition: rawPartition, offset: rawOffset },
  };
}

/**
 * Exact counts under at-least-once, on a real broker: the index counts raw offsets 0..5 of two raw
 * partitions, stops (the control plane restarts), and a new consumer group (as if no offset had been
 * committed) reopens the index and reads the topic from its start, where meanwhile an enforcer
 * re-sent raw offsets 3..5 (same evidence ids, later evidence offsets), then 6..9 came, and every
 * one of those messages was produced twice. Each raw record is counted once: 12 PASS, 8 FAIL.
 */
async function exactUnderRedelivery(t: TestContext, open: () => Promise<EvidenceIndex>) {
  const { brokers, topic, producer } = await topicWith(t, 2);
  // Keyed by raw partition, as the enforcer keys evidence: one raw partition, one evidence partition, in order.
  const send = (rawOffsets: number[], copies = 1) =>
    producer.send({
      topic,
      messages: rawOffsets.flatMap((o) =>
        [0, 1].flatMap((p) =>
          Array.from({ length: copies }, () => ({ key: `raw.exact/${p}`, value: JSON.stringify(rawEvidence(p, o)) })),
        ),
      ),
    });
  const admin = new kafka.KafkaJS.Kafka({}).admin({ 'bootstrap.servers': brokers });
  await admin.connect();
  t.after(() => admin.disconnect());
  /** Until the index has decided every message on the topic (its checkpoints reached the ends). */
  const decidedAll = async (index: EvidenceIndex) => {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const { partition, high } of ends) {
      if (Number(high) === 0) continue;
      if ((await index.checkpoint(topic, partition))?.next !== Number(high)) return false;
    }
    return true;
  };
  const total = async (index: EvidenceIndex) => {
    const rows = await index.counts({ dataset_urn: ORDERS, since: MINUTE, until: '2026-01-13T13:00:00Z' });
    return rows.reduce((s, m) => ({ pass: s.pass + m.pass, fail: s.fail + m.fail }), { pass: 0, fail: 0 });
  };

  await send([0, 1, 2, 3, 4, 5]);
  const first = await open();
  const a = indexer(t, brokers, topic, first, `sf-cp-test-${randomUUID()}`);
  await until('the first 12 records indexed', () => decidedAll(first));
  assert.deepEqual(await total(first), { pass: 8, fail: 4 });
  await a.stop();
  await first.close();

  await send([3, 4, 5], 2); // the enforcer's re-send after its crash, delivered twice
  await send([6, 7, 8, 9], 2);
  const second = await open();
  t.after(() => second.close());
  indexer(t, brokers, topic, second, `sf-cp-test-${randomUUID()}`);
  await until('the whole topic decided after the restart', () => decidedAll(second));
  assert.deepEqual(await total(second), { pass: 12, fail: 8 }, 'each raw record once');
  const fails = await second.query({ dataset_urn: ORDERS, limit: 100 });
  assert.equal(fails.items.length, 8, 'one FAIL row per failed record');
}

test('exact counts under enforcer re-sends and a restart without committed offsets: SQLite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-exact-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'index.db');
  await exactUnderRedelivery(t, async () => new SqliteEvidenceIndex(path, { retentionDays: RETENTION_DAYS }));
});

test('exact counts under enforcer re-sends and a restart without committed offsets: DynamoDB (moto)', async (t) => {
  const prefix = `sf-test-exact-${randomUUID().slice(0, 8)}`;
  await createEvidenceTables(dynamoClient(awsFromEnv()), prefix);
  await exactUnderRedelivery(
    t,
    async () => new DynamoEvidenceIndex(dynamoClient(awsFromEnv()), prefix, RETENTION_DAYS),
  );
});

test('a failing index write is retried: the consumer reconnects and the batch comes again', async (t) => {
  const { brokers, topic, producer } = await topicWith(t, 1);
  const real = new SqliteEvidenceIndex(':memory:', { retentionDays: RETENTION_DAYS });
  t.after(() => real.close());
  let failures = 1;
  // Targeted fault: the first write fails as a full disk would.
  const index = Object.assign(Object.create(real) as SqliteEvidenceIndex, {
    insert(events: readonly IndexedEvidence[]) {
      if (failures-- > 0) throw new Error('SQLITE_FULL: database or disk is full');
      return real.insert(events);
    },
  });
  const indexer = new EvidenceIndexer({
    brokers,
    topic,
    groupId: `sf-cp-test-${randomUUID()}`,
    index,
    logger: createLogger('evidence-test', 'fatal'),
    retryFirstMs: 200,
  }).start();
  t.after(() => indexer.stop());
  await producer.send({ topic, messages: [{ value: JSON.stringify(evidence(3, 'urn:dp:orders:created', 'FAIL')) }] });
  const deadline = Date.now() + 60_000;
  while (real.count() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.equal(real.count(), 1, 'the event was indexed after the failure');
  assert.equal(failures, -1, 'the first write failed');
  assert.ok(indexer.status().attempts >= 2, 'it reconnected');
});
