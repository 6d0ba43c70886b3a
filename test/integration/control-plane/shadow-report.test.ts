/**
 * The shadow report on a real broker: shadow evidence events (ShadowEvidenceEvent) produced to a
 * fresh topic are folded into per-minute tallies by one long-lived consumer; a report after more
 * evidence arrives counts it, and no event is read twice however many reports are asked for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../src/common/logger.js';
import { ShadowFeed } from '../../../src/control-plane/shadow/reader.js';
import type { ShadowEvidenceEvent } from '../../../src/models/index.js';
import { policy, startApp, topicWith, urnPath } from './helpers.js';

const URN = 'urn:dp:orders:shadow-report';

/** Record i judged by candidate version 1: PASS->FAIL when i % 4 == 0, FAIL->PASS when i % 4 == 1, else unchanged. */
function shadowEvidence(i: number, version = 1): ShadowEvidenceEvent {
  const flip = i % 4;
  const now = flip === 0 ? 'FAIL' : 'PASS';
  const was = flip === 1 ? 'FAIL' : 'PASS';
  return {
    evidence_id: `evd-shadow-${i}`,
    timestamp: new Date().toISOString(),
    stage: 'SHADOW',
    dataset_urn: URN,
    producer: { producer_id: 'orders-svc', identity_confidence: 'HIGH' },
    source: { raw_topic: 'raw.orders', partition: i % 2, offset: i, key: null, event_time: new Date().toISOString() },
    schema: { schema_id: null },
    contract: { contract_id: 'dc:candidate:1' },
    validation: {
      result: now,
      failed_gates: now === 'FAIL' ? ['CONTRACT'] : [],
      reason_codes: now === 'FAIL' ? ['NOT_IN_ENUM:currency'] : [],
    },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
    policy_version: version,
    enforcement: { mode: 'SHADOW', action: 'NONE' },
    shadow_of: { policy_version: 1, result: was, reason_codes: was === 'FAIL' ? ['MISSING_FIELD:customer_id'] : [] },
  };
}

test('shadow report: incremental per-minute tallies, right after more shadow evidence arrives', async (t) => {
  const { brokers, topic, producer } = await topicWith(t, 3, 'sf-cp-test-shadow');
  const feed = new ShadowFeed({ brokers, topic, logger: createLogger('shadow-test', 'warn'), timeoutMs: 60_000 });
  t.after(() => feed.stop());
  const app = await startApp(t, { shadowEvidence: feed });
  const admin_ = await app.token({ sub: 'alice', roles: ['admin'] });
  assert.equal((await app.call('PUT', urnPath(URN), admin_, policy(URN))).status, 201);
  assert.equal(
    (await app.call('PUT', urnPath(URN, 'policy/shadow'), admin_, policy(URN, { tier: 'TIER_2' }))).status,
    201,
  );
  const report = async () => {
    const r = await app.call('GET', urnPath(URN, 'policy/shadow/report'), admin_);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const send = (from: number, n: number) =>
    producer.send({
      topic,
      messages: Array.from({ length: n }, (_, j) => ({ value: JSON.stringify(shadowEvidence(from + j)) })),
    });

  const empty = await report();
  assert.equal(empty.records, 0, 'nothing judged yet');
  await send(0, 40);
  await producer.send({
    topic,
    messages: [
      { value: 'not shadow evidence' },
      { value: JSON.stringify({ ...shadowEvidence(99), stage: 'OBSERVED_RAW' }) },
      { value: JSON.stringify(shadowEvidence(98, 7)) }, // another candidate version
    ],
  });
  assert.deepEqual(await report(), {
    dataset_urn: URN,
    shadow_version: 1,
    records: 40,
    unchanged: 20,
    pass_to_fail: { records: 10, by_reason: { 'NOT_IN_ENUM:currency': 10 } },
    fail_to_pass: { records: 10, by_reason: { 'MISSING_FIELD:customer_id': 10 } },
    fail_codes_changed: 0,
    active_versions: [1],
  });
  await send(40, 20);
  const more = await report();
  assert.deepEqual(
    [more.records, more.unchanged, more.pass_to_fail.records, more.fail_to_pass.records],
    [60, 30, 15, 15],
    'the evidence produced since the last report is counted',
  );
  assert.deepEqual(await report(), more, 'asking again changes nothing');
  assert.equal(feed.tallies.size(), 61, 'each valid event folded once (60 of version 1, one of version 7)');
});
