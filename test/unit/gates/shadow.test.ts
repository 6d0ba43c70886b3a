import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Compile } from 'typebox/compile';
import { parseShadowEvidence, ShadowTallies, tallyShadow } from '../../../src/control-plane/shadow/report.js';
import { ShadowEvidenceEvent } from '../../../src/models/index.js';
import { encodeSnapshot, packBatch } from '../../../src/workers/pack.js';
import { compileSnapshot, evaluateRecord, evaluateShadow } from '../../../src/workers/pipeline.js';
import { evaluateBatch } from '../../../src/workers/task.js';
import { CONTRACT, headers, order, policy, rec, signedPrincipal, snapshot, TOPIC } from './fixtures.js';

const NOW = '"2026-01-13T12:01:02.120Z"';
const LAX = {
  ...CONTRACT,
  contract_id: 'dc:orders.created:4',
  fields: CONTRACT.fields.filter((f) => f.path !== 'customer_id'),
};
const withShadow = () =>
  compileSnapshot(
    snapshot({
      contracts: [CONTRACT, LAX],
      shadows: [
        policy({
          contract_id: LAX.contract_id,
          version: 1,
          enforcement_mode: 'REPUBLISH_PASS_ONLY',
          blessed_topic: 'b',
        }),
      ],
    }),
  );

test('evaluateShadow: the candidate judges the record; stage and mode SHADOW, no action, the active verdict under shadow_of', () => {
  const snap = withShadow();
  const o = order();
  delete o.customer_id;
  const r = rec(o, headers({ 'x-sf-principal': signedPrincipal('orders-svc') }));
  const active = evaluateRecord(snap, r, NOW);
  assert.equal(active.verdict.pass, false);
  assert.equal(active.verdict.action, 'QUARANTINE', 'the active policy still acts');
  const e = JSON.parse(evaluateShadow(snap, r, NOW, active) as string);
  assert.equal(e.stage, 'SHADOW');
  assert.equal(e.policy_version, 1);
  assert.equal(e.contract.contract_id, LAX.contract_id);
  assert.equal(e.validation.result, 'PASS');
  assert.deepEqual(e.enforcement, { mode: 'SHADOW', action: 'NONE' }, 'never REPUBLISH, whatever the candidate says');
  assert.deepEqual(e.shadow_of, { policy_version: 3, result: 'FAIL', reason_codes: ['MISSING_FIELD:customer_id'] });
  assert.notEqual(e.evidence_id, JSON.parse(active.evidence).evidence_id);
});

test('evaluateShadow: nothing for records of datasets without a shadow; a batch without shadows carries no shadow evidence', () => {
  const plain = compileSnapshot(snapshot());
  assert.equal(plain.shadows.size, 0);
  const r = rec(order());
  assert.equal(evaluateShadow(plain, r, NOW, evaluateRecord(plain, r, NOW)), undefined);
  const other = compileSnapshot(snapshot({ shadows: [policy({ dataset_urn: 'urn:dp:no:policy' })] }));
  assert.equal(other.shadows.size, 0, 'a shadow needs an active policy of its dataset');
});

test('evaluateBatch: shadow evidence per record of a shadowed dataset, absent otherwise', () => {
  const bad = order();
  delete bad.customer_id;
  const recs = [order(), bad, order()].map((o, i) => ({
    topic: TOPIC,
    partition: 0,
    offset: i,
    timestamp: 1000,
    key: null,
    value: Buffer.from(JSON.stringify(o)),
    headers: [],
  }));
  const plain = evaluateBatch(packBatch(recs, 101, encodeSnapshot(snapshot()), 0));
  assert.equal(plain.shadowEvidence, undefined);
  const snap = snapshot({
    contracts: [CONTRACT, LAX],
    shadows: [policy({ contract_id: LAX.contract_id, version: 1 })],
  });
  const shadowed = evaluateBatch(packBatch(recs, 102, encodeSnapshot(snap), 0));
  assert.deepEqual(
    shadowed.shadowEvidence?.map((e) => [JSON.parse(e).shadow_of.result, JSON.parse(e).validation.result]),
    [
      ['PASS', 'PASS'],
      ['FAIL', 'PASS'],
      ['PASS', 'PASS'],
    ],
  );
});

const ev = (
  was: 'PASS' | 'FAIL',
  now: 'PASS' | 'FAIL',
  activeCodes: string[],
  codes: string[],
  over: Partial<ShadowEvidenceEvent> = {},
): ShadowEvidenceEvent => ({
  evidence_id: 'evd-x',
  stage: 'SHADOW',
  timestamp: '2026-01-02T00:00:00.000Z',
  dataset_urn: 'urn:a',
  producer: { producer_id: null, identity_confidence: 'NONE' },
  source: { raw_topic: 't', partition: 0, offset: 1, key: null, event_time: '2026-01-02T00:00:00.000Z' },
  schema: { schema_id: null },
  contract: { contract_id: null },
  validation: { result: now, failed_gates: codes.length ? ['CONTRACT'] : [], reason_codes: codes },
  otel: { trace_id: null, span_id: null },
  fingerprints: { payload_hash: null, schema_fingerprint: null },
  policy_version: 2,
  enforcement: { mode: 'SHADOW', action: 'NONE' },
  shadow_of: { policy_version: 5, result: was, reason_codes: activeCodes },
  ...over,
});

test('tallyShadow: flips by reason code, unchanged, changed codes; other datasets, versions and older incarnations left out', () => {
  const r = tallyShadow(
    [
      ev('PASS', 'FAIL', [], ['NOT_IN_ENUM:currency', 'MISSING_FIELD:x']),
      ev('PASS', 'FAIL', [], ['NOT_IN_ENUM:currency']),
      ev('FAIL', 'PASS', ['MISSING_FIELD:customer_id'], []),
      ev('FAIL', 'FAIL', ['A'], ['B']),
      ev('FAIL', 'FAIL', ['A', 'B'], ['B', 'A']),
      ev('PASS', 'PASS', [], []),
      ev('PASS', 'FAIL', [], ['X'], { dataset_urn: 'urn:b' }),
      ev('PASS', 'FAIL', [], ['X'], { policy_version: 1 }),
      ev('PASS', 'FAIL', [], ['X'], { timestamp: '2025-12-31T23:59:59.000Z' }),
    ],
    'urn:a',
    2,
    '2026-01-01T00:00:00.000Z',
  );
  assert.deepEqual(r, {
    dataset_urn: 'urn:a',
    shadow_version: 2,
    records: 6,
    unchanged: 2,
    pass_to_fail: { records: 2, by_reason: { 'NOT_IN_ENUM:currency': 2, 'MISSING_FIELD:x': 1 } },
    fail_to_pass: { records: 1, by_reason: { 'MISSING_FIELD:customer_id': 1 } },
    fail_codes_changed: 1,
    active_versions: [5],
  });
});

const checkShadow = Compile(ShadowEvidenceEvent);

test('ShadowEvidenceEvent: what evaluateShadow emits is valid by the model; active evidence is not', () => {
  const snap = withShadow();
  const o = order();
  delete o.customer_id;
  const r = rec(o, headers({ 'x-sf-principal': signedPrincipal('orders-svc') }));
  const active = evaluateRecord(snap, r, NOW);
  const text = evaluateShadow(snap, r, NOW, active) as string;
  assert.ok(checkShadow.Check(JSON.parse(text)), JSON.stringify([...checkShadow.Errors(JSON.parse(text))]));
  assert.equal(parseShadowEvidence(text)?.shadow_of.result, 'FAIL');
  assert.equal(parseShadowEvidence(active.evidence), undefined, 'stage OBSERVED_RAW, no shadow_of');
  const noOf = JSON.parse(text);
  delete noOf.shadow_of;
  assert.equal(parseShadowEvidence(JSON.stringify(noOf)), undefined);
  assert.equal(parseShadowEvidence('not json'), undefined);
});

test('ShadowTallies: a report after more evidence arrives counts it; buckets before the attach minute are left out', () => {
  const t = new ShadowTallies();
  const since = '2026-01-02T00:00:30.000Z';
  t.add(ev('PASS', 'FAIL', [], ['X'], { timestamp: '2026-01-01T23:59:59.000Z' }));
  t.add(ev('PASS', 'FAIL', [], ['X'], { timestamp: '2026-01-02T00:00:40.000Z' }));
  assert.deepEqual(t.report('urn:a', 2, since).pass_to_fail, { records: 1, by_reason: { X: 1 } });
  t.add(ev('FAIL', 'PASS', ['Y'], [], { timestamp: '2026-01-02T00:05:00.000Z' }));
  t.add(ev('PASS', 'FAIL', [], ['X', 'Z'], { timestamp: '2026-01-02T00:05:01.000Z' }));
  t.add(
    ev('PASS', 'PASS', [], [], {
      timestamp: '2026-01-02T00:05:02.000Z',
      shadow_of: { policy_version: 6, result: 'PASS', reason_codes: [] },
    }),
  );
  const r = t.report('urn:a', 2, since);
  assert.deepEqual(
    [r.records, r.unchanged, r.pass_to_fail, r.fail_to_pass, r.active_versions],
    [4, 1, { records: 2, by_reason: { X: 2, Z: 1 } }, { records: 1, by_reason: { Y: 1 } }, [5, 6]],
  );
  assert.equal(t.size(), 5);
  assert.equal(t.report('urn:a', 3, since).records, 0, 'another candidate version');
  assert.equal(t.report('urn:a', 2, '2026-01-02T00:06:00.000Z').records, 0, 'attached after every event');
});
