/**
 * The evidence index when Kafka is down at start (issue 13, item 4). Before: ~3,500 non-JSON
 * librdkafka objects, "consumer failed to start", no retry, /readyz 200 with nothing said and
 * GET /v1/evidence an empty 200. Now: a real control plane process against a dedicated broker
 * whose port has nothing listening; /readyz, /metrics and GET /v1/evidence report the outage,
 * the log stays JSON and short, and the index recovers when the broker appears (and again after
 * a later outage).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import kafka from '@confluentinc/kafka-javascript';
import { api } from '../../../src/dev/services.js';
import type { EvidenceEvent } from '../../../src/models/index.js';
import { dedicatedBroker } from '../../helpers/faults.js';
import { createTopics, startControlPlane, unique } from '../../helpers/stack.js';
import type { Json } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await probe().catch((e) => e);
    if (last !== undefined && !(last instanceof Error)) return last as T;
    await sleep(500);
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms (last: ${String(last)})`);
}

function event(id: string, topic: string): EvidenceEvent {
  return {
    evidence_id: id,
    timestamp: new Date().toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: 'urn:dp:orders:created',
    producer: { producer_id: 'orders-svc', identity_confidence: 'MEDIUM' },
    source: { raw_topic: topic, partition: 0, offset: 0, key: null, event_time: new Date().toISOString() },
    schema: { schema_id: null },
    contract: { contract_id: null },
    // FAIL: the index keeps FAIL evidence (PASS is counted per minute).
    validation: { result: 'FAIL', failed_gates: ['CONTRACT'], reason_codes: ['MISSING_FIELD:order_id'] },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
  };
}

test('evidence index: broker down at start is reported, retried quietly, and recovered', {
  timeout: 300_000,
}, async (t) => {
  const broker = await dedicatedBroker(t, { start: false });
  const topic = unique('sf-cp-outage-evidence');
  const cp = await startControlPlane(t, {
    SF_KAFKA_BROKERS: broker.brokers,
    SF_EVIDENCE_INDEX: 'auto',
    SF_EVIDENCE_TOPIC: topic,
    SF_EVIDENCE_INDEX_PATH: ':memory:',
    SF_EVIDENCE_INDEX_GROUP_ID: unique('sf-cp-outage'),
    SF_LOG_LEVEL: 'info',
  });
  const get = (path: string) => api(cp.url, cp.admin, 'GET', path);
  const indexState = async () => ((await get('/readyz')).body as Json).details.evidence_index;

  // 1. Nothing listens on the broker port: the first attempt fails and the state says so.
  const down = await until('state unavailable', 30_000, async () => {
    const s = await indexState();
    return s.state === 'unavailable' ? s : undefined;
  });
  assert.equal((await get('/readyz')).status, 200, 'policies still serve: readiness is the store');
  assert.equal(down.ever_connected, false);
  assert.match(down.last_error, new RegExp(`cannot reach ${broker.brokers}`));
  const ev = await get('/v1/evidence');
  assert.equal(ev.status, 503, 'never an empty 200 from an index that never started');
  assert.equal((ev.body as Json).error.code, 'EVIDENCE_INDEX_UNAVAILABLE');
  assert.equal((ev.body as Json).error.details.state, 'unavailable');
  const metrics = await fetch(`${cp.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /control_plane_evidence_index_state\{state="unavailable"\} 1/);
  assert.match(metrics, /control_plane_evidence_index_state\{state="live"\} 0/);

  // 2. Let it retry for a while: every log line is JSON, and the outage costs a handful of lines.
  await sleep(15_000);
  const all = readFileSync(cp.service.logFile, 'utf8').split('\n').filter(Boolean);
  const parsed = all.map((l): Json => {
    try {
      return JSON.parse(l);
    } catch {
      return assert.fail(`a log line is not JSON: ${l.slice(0, 200)}`);
    }
  });
  const attempts = (await indexState()).attempts;
  assert.ok(attempts >= 2, `it retried (attempts ${attempts})`);
  // Request logs (this test polls) aside, what did the outage write?
  const lines = parsed.filter((l) => l.reqId === undefined);
  const retries = lines.filter((l) => l.msg === 'evidence index cannot reach the brokers; retrying');
  const client = lines.filter((l) => String(l.msg).startsWith('kafka client'));
  t.diagnostic(
    `after ${attempts} attempts: ${lines.length} log lines (${retries.length} retries, ${client.length} client)`,
  );
  assert.ok(retries.length >= 1 && retries.length <= attempts, 'one line per failed attempt');
  assert.ok(client.length <= 6, `librdkafka's complaints are rate-limited (${client.length} lines)`);
  assert.ok(lines.length < 30, `the whole log stays short (${lines.length} lines)`);

  // 3. The broker appears: the index connects by itself, catches up and serves.
  await broker.start();
  await createTopics(broker.brokers, [{ topic, numPartitions: 2 }]);
  const producer = new kafka.KafkaJS.Kafka({}).producer({ 'bootstrap.servers': broker.brokers, log_level: 0 });
  await producer.connect();
  t.after(() => producer.disconnect());
  await producer.send({ topic, messages: [{ value: JSON.stringify(event('evd-outage-1', topic)) }] });
  await until('state live', 120_000, async () => ((await indexState()).state === 'live' ? true : undefined));
  const served = await until('evidence indexed', 30_000, async () => {
    const r = await get('/v1/evidence');
    return r.status === 200 && (r.body as Json).items.length === 1 ? r : undefined;
  });
  assert.equal(served.headers['x-evidence-index-state'], 'live');
  assert.equal((served.body as Json).index.state, 'live');
  assert.equal((served.body as Json).index.lag, 0);

  // 4. A later outage: answers stay 200 (the index has data) but say the index is unavailable.
  await broker.stop();
  await until('state unavailable again', 60_000, async () =>
    (await indexState()).state === 'unavailable' ? true : undefined,
  );
  const stale = await get('/v1/evidence');
  assert.equal(stale.status, 200);
  assert.equal(stale.headers['x-evidence-index-state'], 'unavailable');
  assert.equal((stale.body as Json).items.length, 1);
  await broker.start();
  await producer.send({ topic, messages: [{ value: JSON.stringify(event('evd-outage-2', topic)) }] });
  await until('second event after recovery', 120_000, async () => {
    const r = await get('/v1/evidence');
    return (r.body as Json).items?.length === 2 && r.headers['x-evidence-index-state'] === 'live' ? true : undefined;
  });
});
