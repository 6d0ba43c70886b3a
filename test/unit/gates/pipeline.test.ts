import assert from 'node:assert/strict';
import { test } from 'node:test';
import Schema from 'typebox/schema';
import { EvidenceEvent } from '../../../src/models/evidence.js';
import { GATE_SPECS } from '../../../src/workers/gates/index.js';
import { compileSnapshot } from '../../../src/workers/pipeline.js';
import { headers, order, policy, rec, run, signedPrincipal, snapshot, TOPIC, URN } from './fixtures.js';

const evidenceModel: { Check(v: unknown): boolean; Errors(v: unknown): [boolean, unknown[]] } = Schema.Compile(
  EvidenceEvent as any,
);

test('section 12.2: a valid order passes with HIGH identity', () => {
  const o = order();
  const { event, verdict } = run(snapshot(), rec(o, headers({ 'x-sf-principal': signedPrincipal('orders-svc') })));
  assert.ok(evidenceModel.Check(event), JSON.stringify(evidenceModel.Errors(event)[1]));
  assert.equal(event.validation.result, 'PASS');
  assert.deepEqual(event.validation.failed_gates, []);
  assert.deepEqual(event.validation.reason_codes, []);
  assert.equal(event.dataset_urn, URN);
  assert.deepEqual(event.producer, { producer_id: 'orders-svc', identity_confidence: 'HIGH' });
  assert.deepEqual(event.source, {
    raw_topic: TOPIC,
    partition: 0,
    offset: 1,
    key: 'o-784233',
    event_time: '2026-01-13T12:01:01.900Z',
  });
  assert.deepEqual(event.schema, { schema_id: 'glue:orders.created:1' });
  assert.deepEqual(event.contract, { contract_id: 'dc:orders.created:3' });
  assert.equal(event.stage, 'OBSERVED_RAW');
  assert.equal(event.timestamp, '2026-01-13T12:01:02.120Z');
  assert.match(event.fingerprints.payload_hash, /^sha256:[0-9a-f]{64}$/);
  assert.match(event.fingerprints.schema_fingerprint, /^sha256:[0-9a-f]{64}$/);
  assert.equal(event.policy_version, 3);
  assert.deepEqual(event.enforcement, { mode: 'QUARANTINE_ON_FAIL', action: 'NONE' });
  assert.deepEqual(Object.keys(event).slice(0, 11), [
    'evidence_id',
    'timestamp',
    'stage',
    'dataset_urn',
    'producer',
    'source',
    'schema',
    'contract',
    'validation',
    'otel',
    'fingerprints',
  ]);
  assert.equal(verdict.action, 'NONE');
});

test('section 12.3: missing customer_id fails CONTRACT only and is quarantined', () => {
  const o = order();
  delete o.customer_id;
  const { event, verdict } = run(snapshot(), rec(o));
  assert.ok(evidenceModel.Check(event));
  assert.equal(event.validation.result, 'FAIL');
  assert.deepEqual(event.validation.failed_gates, ['CONTRACT']);
  assert.deepEqual(event.validation.reason_codes, ['MISSING_FIELD:customer_id']);
  assert.equal(verdict.action, 'QUARANTINE');
  assert.deepEqual(event.enforcement, { mode: 'QUARANTINE_ON_FAIL', action: 'QUARANTINED' });
});

test('evidence_id is deterministic per (topic, partition, offset, policy version)', () => {
  const a = run(snapshot(), rec(order())).event.evidence_id;
  assert.equal(run(snapshot(), rec({ other: 1 })).event.evidence_id, a);
  assert.notEqual(run(snapshot(), rec(order(), { offset: 2 })).event.evidence_id, a);
  assert.notEqual(run(snapshot({ policies: [policy({ version: 4 })] }), rec(order())).event.evidence_id, a);
  assert.notEqual(run(snapshot(), rec(order(), { partition: 1 })).event.evidence_id, a);
  assert.notEqual(run(snapshot(), rec(order(), { topic: 'raw.orders.other' })).event.evidence_id, a);
  // Coordinates, not a hash of them: offsets 1 and 11 of partitions 1 and 11 cannot collide.
  assert.match(a, /^evd-[0-9a-f]{12}-0-1-\d+$/);
  assert.notEqual(
    run(snapshot(), rec(order(), { partition: 1, offset: 11 })).event.evidence_id,
    run(snapshot(), rec(order(), { partition: 11, offset: 1 })).event.evidence_id,
  );
});

test('otel ids and non-UTF-8 keys', () => {
  const { event } = run(snapshot(), rec(order(), { otel: ['2f1c3f', 'c301'], key: Buffer.from([0xff, 0xfe]) }));
  assert.deepEqual(event.otel, { trace_id: '2f1c3f', span_id: 'c301' });
  assert.equal(event.source.key, 'base64://4=');
});

test('failures of several gates are all collected, in gate order', () => {
  const o = { ...order(), event_type: 5, note: 'ssn 123-45-6789' };
  delete (o as any).customer_id;
  const { event } = run(snapshot(), rec(o, headers({ 'producer-id': 'evil' })));
  assert.deepEqual(event.validation.failed_gates, ['IDENTITY', 'SCHEMA', 'CONTRACT', 'PII']);
  assert.deepEqual(event.validation.reason_codes, [
    'PRODUCER_MISMATCH',
    'TYPE_MISMATCH:event_type',
    'MISSING_FIELD:customer_id',
    'UNDECLARED_PII:note',
  ]);
});

test('validation.gate_reasons attributes each code to its gate (SCHEMA and CONTRACT share a vocabulary)', () => {
  // created_at is checked by SCHEMA (format date-time) and by CONTRACT (format date-time).
  const o = { ...order(), created_at: 'yesterday' };
  const { event } = run(snapshot(), rec(o));
  assert.ok(evidenceModel.Check(event), JSON.stringify(evidenceModel.Errors(event)[1]));
  // The design's 6.1 fields are unchanged: a flat list in which the code repeats...
  assert.deepEqual(event.validation.failed_gates, ['SCHEMA', 'CONTRACT']);
  assert.deepEqual(event.validation.reason_codes, ['FORMAT_MISMATCH:created_at', 'FORMAT_MISMATCH:created_at']);
  // ...and the extension says which gate raised which.
  assert.deepEqual(event.validation.gate_reasons, {
    SCHEMA: ['FORMAT_MISMATCH:created_at'],
    CONTRACT: ['FORMAT_MISMATCH:created_at'],
  });
  assert.deepEqual(Object.keys(event.validation), ['result', 'failed_gates', 'reason_codes', 'gate_reasons']);
  const pass = run(snapshot(), rec(order())).event;
  assert.deepEqual(pass.validation.gate_reasons, {});
});

test('ops: each gate of the registry can be disabled on its own (RESOLUTION cannot)', () => {
  const o = { ...order(), event_type: 5, note: 'ssn 123-45-6789' };
  delete (o as Record<string, unknown>).customer_id;
  const r = rec(o, headers({ 'producer-id': 'evil' }));
  const all = run(snapshot(), r).event.validation.failed_gates as string[];
  assert.deepEqual(all, ['IDENTITY', 'SCHEMA', 'CONTRACT', 'PII']);
  for (const g of GATE_SPECS.slice(1)) {
    const ops = {
      global: { safe_mode: false },
      datasets: { [URN]: { actions_paused: false, disabled_gates: [g.name] } },
    };
    assert.deepEqual(
      run(snapshot({ ops }), r).event.validation.failed_gates,
      all.filter((x) => x !== g.name),
      `${g.name} disabled`,
    );
  }
});

test('ops: disabled_gates skip a gate; RESOLUTION cannot be disabled', () => {
  const o = order();
  delete o.customer_id;
  const ops = {
    global: { safe_mode: false },
    datasets: { [URN]: { actions_paused: false, disabled_gates: ['CONTRACT' as const, 'RESOLUTION' as const] } },
  };
  assert.equal(run(snapshot({ ops }), rec(o)).event.validation.result, 'PASS');
  assert.deepEqual(run(snapshot({ ops, resolution: [] }), rec(o)).event.validation.reason_codes, [
    'UNRESOLVED_DATASET',
  ]);
});

test('ops: mode_override, actions_paused and safe_mode change the action, not the verdict', () => {
  const bad = order();
  delete bad.customer_id;
  const ds = (o: object) => ({
    global: { safe_mode: false },
    datasets: { [URN]: { actions_paused: false, disabled_gates: [], ...o } },
  });
  const republish = snapshot({
    policies: [policy({ blessed_topic: 'blessed.orders' })],
    ops: ds({ mode_override: 'REPUBLISH_PASS_ONLY' }),
  });
  const good = run(republish, rec(order()));
  assert.equal(good.verdict.action, 'REPUBLISH');
  assert.equal(good.verdict.target_topic, 'blessed.orders');
  assert.deepEqual(good.event.enforcement, { mode: 'REPUBLISH_PASS_ONLY', action: 'REPUBLISHED' });
  assert.equal(run(republish, rec(bad)).verdict.action, 'NONE');
  const paused = run(snapshot({ ops: ds({ actions_paused: true }) }), rec(bad));
  assert.equal(paused.verdict.action, 'NONE');
  assert.equal(paused.event.validation.result, 'FAIL');
  assert.equal(paused.event.enforcement.action, 'PAUSED');
  const safe = run(snapshot({ ops: { global: { safe_mode: true }, datasets: {} } }), rec(bad));
  assert.equal(safe.verdict.action, 'NONE');
  assert.equal(safe.event.enforcement.action, 'PAUSED');
  const alert = run(snapshot({ policies: [policy({ enforcement_mode: 'ALERT_ONLY' })] }), rec(bad));
  assert.deepEqual(alert.event.enforcement, { mode: 'ALERT_ONLY', action: 'NONE' });
});

test('hostile corpus: FAIL evidence, no crash, bounded time', () => {
  const snap = compileSnapshot(snapshot());
  const deepObj = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
  const corpus: Array<[string, Uint8Array | null, string]> = [
    [
      '1 MB payload over the cap',
      Buffer.from(JSON.stringify({ ...order(), blob: 'x'.repeat(1_100_000) })),
      'PAYLOAD_TOO_LARGE',
    ],
    ['10,000-deep arrays', Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`), 'NESTING_TOO_DEEP'],
    ['10,000-deep objects', Buffer.from(deepObj), 'NESTING_TOO_DEEP'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'INVALID_UTF8'],
    // Starts with 1: a byte that is neither JSON nor a wire-format marker (0 Confluent, 3 Glue).
    ['binary noise', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 1) & 0xff)), 'UNKNOWN_WIRE_FORMAT'],
    ['lone surrogate escapes', Buffer.from('{"order_id":"\\ud800","customer_id":"\\udfff"}'), 'CONTRACT'],
    ['top-level array', Buffer.from('[1,2,3]'), 'SCHEMA'],
    ['top-level string', Buffer.from('"just a string"'), 'SCHEMA'],
    ['huge number', Buffer.from('{"amount":1e400}'), 'SCHEMA'],
  ];
  for (const [name, value, expect] of corpus) {
    const t0 = performance.now();
    const { event } = run(snap, rec(value));
    const ms = performance.now() - t0;
    assert.equal(event.validation.result, 'FAIL', name);
    assert.ok(
      event.validation.reason_codes.includes(expect) || event.validation.failed_gates.includes(expect),
      `${name}: ${JSON.stringify(event.validation)}`,
    );
    assert.ok(ms < 500, `${name}: ${ms} ms`);
  }
});

test('hostile corpus: 1 MB of regex bait inside the cap is scanned linearly', () => {
  const snap = compileSnapshot(snapshot({ limits: { max_payload_bytes: 4 * 1024 * 1024 } }));
  for (const bait of [
    'a@'.repeat(250_000),
    '4111 '.repeat(200_000),
    'AKIA'.repeat(250_000),
    '1.'.repeat(500_000),
    'a:'.repeat(500_000),
  ]) {
    const t0 = performance.now();
    const { event } = run(snap, rec({ ...order(), note: bait }));
    assert.ok(performance.now() - t0 < 1000, `${bait.slice(0, 8)}: ${performance.now() - t0} ms`);
    // Near-misses all the way: a run too long to be a card, key, address or IP is none of them,
    // so the order passes and the bait yields no finding (only the contract's declared ones).
    assert.equal(event.validation.result, 'PASS', bait.slice(0, 8));
    assert.ok(
      !event.pii_findings?.some((f: { path: string }) => f.path === 'note'),
      `${bait.slice(0, 8)}: ${JSON.stringify(event.pii_findings)}`,
    );
  }
});
