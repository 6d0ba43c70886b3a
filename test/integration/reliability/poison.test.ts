/**
 * Issue 9.7: hostile records on one partition — megabyte and near-limit payloads, 10,000-
 * deep nesting, invalid UTF-8, binary, tombstones, huge arrays, regex bait for every PII
 * detector — each get FAIL evidence with a precise code (or a verdict, where the record is
 * lawful), the enforcer does not crash, and ordinary records on the other partitions keep
 * their evidence latency (reported beside a run without poison).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { endOffsets, readEvidence } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll, type ToProduce } from '../../../src/dev/produce.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const order = JSON.parse(
  [...orders(1, 1, { missing_customer: 0, bad_currency: 0, undeclared_pii: 0, poison: 0 })][0].value!.toString(),
);
const withNotes = (notes: unknown) => Buffer.from(JSON.stringify({ ...order, notes }));

/** key -> [payload, expected gate, expected code prefix] */
const POISON: Array<[string, Buffer | null, string, string]> = [
  [
    'over-cap-2mb',
    Buffer.from(JSON.stringify({ ...order, notes: 'x'.repeat(2 * 1024 * 1024) })),
    'ENVELOPE',
    'PAYLOAD_TOO_LARGE',
  ],
  ['deep-array-10000', Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`), 'ENVELOPE', 'NESTING_TOO_DEEP'],
  ['deep-object-10000', Buffer.from(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`), 'ENVELOPE', 'NESTING_TOO_DEEP'],
  [
    'invalid-utf8',
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    'ENVELOPE',
    'INVALID_UTF8',
  ],
  // 0x01: neither JSON nor a wire-format marker (0x00 is Confluent framing, 0x03 Glue's).
  ['binary', Buffer.concat([Buffer.from([0x01]), randomBytes(4096)]), 'ENVELOPE', 'UNKNOWN_WIRE_FORMAT'],
  ['tombstone', null, 'ENVELOPE', 'TOMBSTONE'],
  // librdkafka hands a zero-length value to the client as null: it reads as a tombstone.
  ['empty', Buffer.alloc(0), 'ENVELOPE', 'TOMBSTONE'],
  ['not-json', Buffer.from('{"order_id": "o-1", oops'), 'ENVELOPE', 'INVALID_JSON'],
  ['huge-array', withNotes(new Array(150_000).fill(0)), 'CONTRACT', ''],
  ['near-limit-900kb', withNotes('y'.repeat(900 * 1024)), 'CONTRACT', ''],
  // Regex bait: long near-misses for each detector must finish fast and find nothing.
  ['bait-email', withNotes(`${'a.'.repeat(200_000)}@`), 'CONTRACT', ''],
  ['bait-phone', withNotes('+1 '.repeat(100_000)), 'CONTRACT', ''],
  ['bait-card', withNotes('4111 '.repeat(80_000)), 'CONTRACT', ''],
  ['bait-ssn', withNotes('123-45-'.repeat(60_000)), 'CONTRACT', ''],
  ['bait-iban', withNotes(`GB${'9'.repeat(400_000)}`), 'CONTRACT', ''],
  ['bait-ipv6', withNotes(':'.repeat(400_000)), 'CONTRACT', ''],
  ['bait-ipv4', withNotes('1.'.repeat(200_000)), 'CONTRACT', ''],
  ['bait-aws-key', withNotes('AKIA'.repeat(100_000)), 'CONTRACT', ''],
];

const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
};

async function ordinaryLatency(
  brokers: string,
  raw: string,
  evidenceTopic: string,
  poison: ToProduce[],
  seed: number,
): Promise<{ latencies: number[]; events: EvidenceEvent[] }> {
  const mark = await endOffsets(brokers, evidenceTopic);
  const ordinary: ToProduce[] = [...orders(600, seed)].map((r, i) => ({ ...r, partition: 1 + (i % 3) }));
  // Interleave: poison on partition 0 while ordinary records stream to 1..3.
  const jobs = [produceAll(brokers, raw, poison)];
  for (let k = 0; k < 6; k++) {
    jobs.push(produceAll(brokers, raw, ordinary.slice(k * 100, (k + 1) * 100)));
    await new Promise((r) => setTimeout(r, 150));
  }
  await Promise.all(jobs);
  const want = 600 + poison.length;
  const r = await readEvidence({
    brokers,
    topic: evidenceTopic,
    from: mark,
    until: (e) => e.length >= want,
    timeoutMs: 120_000,
  });
  assert.ok(r.done, `evidence for ${want} records (saw ${r.events.length})`);
  const latencies: number[] = [];
  r.events.forEach((e, i) => {
    if (e.source.partition !== 0) latencies.push(r.brokerTimes[i] - Date.parse(e.source.event_time));
  });
  return { latencies, events: r.events };
}

describe('reliability: poison input', { timeout: 400_000 }, () => {
  it('gives every hostile record precise FAIL evidence without crashing or delaying other partitions', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.poison');
    const evidenceTopic = unique('it.evidence.poison');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 4 },
      { topic: evidenceTopic, numPartitions: 4 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-poison'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_WORKERS: '2',
    });
    const quiet = await ordinaryLatency(brokers, raw, evidenceTopic, [], 41);
    const poison = POISON.map(([key, value]) => ({ key: Buffer.from(key), value, partition: 0 }));
    const loud = await ordinaryLatency(brokers, raw, evidenceTopic, poison, 43);

    for (const [key, , gate, code] of POISON) {
      const e = loud.events.find((x) => x.source.key === key);
      assert.ok(e, `evidence for ${key}`);
      const v = e.validation;
      if (gate === 'CONTRACT' && code === '') {
        // Lawful but odd records: judged normally (the contract says nothing about notes);
        // what matters is a verdict from the gates, in linear time.
        assert.ok(
          !v.failed_gates.includes('ENVELOPE') && !v.reason_codes.includes('EVALUATION_ERROR'),
          `${key}: ${JSON.stringify(v)}`,
        );
      } else {
        assert.equal(v.result, 'FAIL', key);
        assert.ok(v.failed_gates.includes(gate), `${key}: ${JSON.stringify(v)}`);
        assert.ok(
          v.reason_codes.some((c) => c.startsWith(code)),
          `${key}: ${v.reason_codes}`,
        );
      }
    }
    assert.equal(enforcer.child.exitCode, null, 'the enforcer is still running');
    const q = p95(quiet.latencies);
    const l = p95(loud.latencies);
    t.diagnostic(
      `poison records ${POISON.length}, all with evidence; ordinary p95 evidence latency ${q} ms without poison, ${l} ms with poison`,
    );
    // A generous bound: head-of-line blocking by a stuck worker would cost tens of seconds.
    assert.ok(l < 5000, `ordinary records keep flowing beside poison (p95 ${l} ms)`);
  });
});
