/**
 * The evidence index filled from a real broker (SF_KAFKA_BROKERS): produce evidence events with
 * kafka-javascript, query them through GET /v1/evidence with every filter. A fresh topic per run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import kafka from '@confluentinc/kafka-javascript';
import { createLogger } from '../../../src/common/logger.js';
import { EvidenceIndexer } from '../../../src/control-plane/evidence/consumer.js';
import { SqliteEvidenceIndex } from '../../../src/control-plane/evidence/index-store.js';
import type { EvidenceEvent } from '../../../src/models/index.js';
import { requireEnv, startApp } from './helpers.js';

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

test('evidence produced to Kafka is queryable through GET /v1/evidence', async (t) => {
  const brokers = requireEnv('SF_KAFKA_BROKERS');
  const topic = `sf-cp-test-evidence-${randomUUID().slice(0, 8)}`;
  const k = new kafka.KafkaJS.Kafka({});
  const admin = k.admin({ 'bootstrap.servers': brokers });
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const index = new SqliteEvidenceIndex(':memory:');
  t.after(() => index.close());
  const indexer = new EvidenceIndexer({
    brokers,
    topic,
    groupId: `sf-cp-test-${randomUUID()}`,
    index,
    logger: createLogger('evidence-test', 'warn'),
  }).start();
  t.after(() => indexer.stop());

  const producer = k.producer({ 'bootstrap.servers': brokers, log_level: 3 });
  await producer.connect();
  t.after(() => producer.disconnect());
  const orders = 'urn:dp:orders:created';
  const events = Array.from({ length: 10 }, (_, i) =>
    evidence(i, i < 6 ? orders : 'urn:dp:payments:settled', i % 3 === 0 ? 'FAIL' : 'PASS'),
  );
  await producer.send({
    topic,
    messages: [
      ...events.map((e) => ({ key: e.evidence_id, value: JSON.stringify(e) })),
      { key: 'junk', value: 'not evidence' },
      { key: events[0].evidence_id, value: JSON.stringify(events[0]) }, // a redelivery: indexed once
    ],
  });

  const cp = await startApp(t, { evidence: index, evidenceStatus: () => indexer.status() });
  const token = await cp.token({ sub: 'reader' });
  const deadline = Date.now() + 60_000;
  while (index.count() < events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.equal(index.count(), events.length);

  const all = await cp.call('GET', '/v1/evidence?limit=100', token);
  assert.equal(all.status, 200);
  assert.deepEqual(
    all.body.items.map((e: EvidenceEvent) => e.evidence_id),
    events.map((e) => e.evidence_id).reverse(),
    'newest first',
  );
  const fails = await cp.call('GET', `/v1/evidence?dataset_urn=${encodeURIComponent(orders)}&result=FAIL`, token);
  assert.deepEqual(
    fails.body.items.map((e: EvidenceEvent) => e.evidence_id),
    ['evd-test-3', 'evd-test-0'],
  );
  const since = await cp.call('GET', `/v1/evidence?since=${encodeURIComponent('2026-01-13T12:00:08Z')}`, token);
  assert.equal(since.body.items.length, 2);
  const p1 = await cp.call('GET', '/v1/evidence?limit=4', token);
  const p2 = await cp.call('GET', `/v1/evidence?limit=4&cursor=${p1.body.next_cursor}`, token);
  assert.deepEqual(
    p2.body.items.map((e: EvidenceEvent) => e.evidence_id),
    ['evd-test-5', 'evd-test-4', 'evd-test-3', 'evd-test-2'],
  );
  const bad = await cp.call('GET', '/v1/evidence?result=MAYBE', token);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.details[0].allowed, ['PASS', 'FAIL'], 'an enum error lists the allowed values');
  assert.match(bad.body.error.details[0].message, /PASS, FAIL/);

  // Every documented filter narrows the result (raw_topic and reason_code were ignored before).
  const ids = async (q: string) => {
    const r = await cp.call('GET', `/v1/evidence?${q}`, token);
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    return r.body.items.map((e: EvidenceEvent) => e.evidence_id);
  };
  assert.deepEqual(await ids('raw_topic=raw.payments.events'), ['evd-test-9']);
  assert.deepEqual(await ids('reason_code=FORMAT_MISMATCH:created_at'), ['evd-test-3']);
  assert.deepEqual(await ids('reason_code=FORMAT_MISMATCH'), ['evd-test-3'], 'a bare code matches CODE:<path>');
  assert.deepEqual(await ids('reason_code=MISSING_FIELD'), ['evd-test-9', 'evd-test-6', 'evd-test-0']);
  assert.deepEqual(await ids('reason_code=missing_field'), [], 'codes match case-sensitively');
  assert.deepEqual(await ids('gate=SCHEMA'), ['evd-test-9', 'evd-test-3']);
  assert.deepEqual(await ids('producer=legacy-svc'), ['evd-test-2', 'evd-test-1', 'evd-test-0']);
  assert.deepEqual(
    await ids(
      `since=${encodeURIComponent('2026-01-13T12:00:02Z')}&until=${encodeURIComponent('2026-01-13T12:00:04Z')}`,
    ),
    ['evd-test-3', 'evd-test-2'],
  );
  const unknown = await cp.call('GET', '/v1/evidence?raw_topc=raw.orders.events', token);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error.code, 'UNKNOWN_QUERY_PARAMETER');
  assert.match(unknown.body.error.message, /raw_topc/);

  // One event by id; the index's state is on every answer.
  const one = await cp.call('GET', '/v1/evidence/evd-test-4', token);
  assert.equal(one.status, 200);
  assert.equal(one.body.evidence_id, 'evd-test-4');
  const missing = await cp.call('GET', '/v1/evidence/evd-nope', token);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'EVIDENCE_NOT_FOUND');
  const deadlineLive = Date.now() + 30_000;
  while (indexer.status().state !== 'live' && Date.now() < deadlineLive) await new Promise((r) => setTimeout(r, 250));
  const live = await cp.call('GET', '/v1/evidence?limit=1', token);
  assert.equal(live.headers.get('x-evidence-index-state'), 'live');
  assert.equal(live.headers.get('x-evidence-index-lag'), '0');
  assert.deepEqual(live.body.index, { state: 'live', lag: 0, last_error: null });
});

test('a failing index write is retried: the consumer reconnects and the batch comes again', async (t) => {
  const brokers = requireEnv('SF_KAFKA_BROKERS');
  const topic = `sf-cp-test-evidence-${randomUUID().slice(0, 8)}`;
  const k = new kafka.KafkaJS.Kafka({});
  const admin = k.admin({ 'bootstrap.servers': brokers });
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  const real = new SqliteEvidenceIndex(':memory:');
  t.after(() => real.close());
  let failures = 1;
  // Targeted fault: the first write fails as a full disk would.
  const index = Object.assign(Object.create(real) as SqliteEvidenceIndex, {
    insert(events: readonly EvidenceEvent[]) {
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
  const producer = k.producer({ 'bootstrap.servers': brokers, log_level: 3 });
  await producer.connect();
  t.after(() => producer.disconnect());
  await producer.send({ topic, messages: [{ value: JSON.stringify(evidence(1, 'urn:dp:orders:created', 'PASS')) }] });
  const deadline = Date.now() + 60_000;
  while (real.count() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.equal(real.count(), 1, 'the event was indexed after the failure');
  assert.equal(failures, -1, 'the first write failed');
  assert.ok(indexer.status().attempts >= 2, 'it reconnected');
});
