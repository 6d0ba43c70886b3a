import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolutionRule } from '../../../src/models/resolution.js';
import { compile, evaluate } from '../../../src/workers/gates/resolution.js';
import { glue, headers, policy, rec, run, snapshot, TOPIC, URN, V1 } from './fixtures.js';

const OTHER = 'urn:dp:orders:cancelled';
const rule = (r: Partial<ResolutionRule>): ResolutionRule => ({
  source_type: 'TOPIC',
  source_value: TOPIC,
  dataset_urn: URN,
  resolution_confidence: 'HIGH',
  ...r,
});
const policies = [policy(), policy({ dataset_urn: OTHER, schema_id: undefined, contract_id: undefined })];
const body = {
  order_id: 'o-1',
  event_type: 'orders.cancelled',
  customer_id: 'c',
  created_at: '2026-01-13T12:01:01.900Z',
};

const cases: Array<{
  name: string;
  rules: ResolutionRule[];
  record?: ReturnType<typeof rec>;
  urn: string | null;
  code?: string;
}> = [
  { name: 'no rule for the topic', rules: [rule({ source_value: 'other' })], urn: null, code: 'UNRESOLVED_DATASET' },
  {
    name: 'two datasets equally specific',
    rules: [rule({}), rule({ dataset_urn: OTHER })],
    urn: null,
    code: 'AMBIGUOUS_DATASET',
  },
  {
    name: 'resolved dataset without a policy',
    rules: [rule({ dataset_urn: 'urn:dp:orders:unknown' })],
    urn: 'urn:dp:orders:unknown',
    code: 'POLICY_NOT_FOUND',
  },
  {
    name: 'extraction rule beats a plain rule of higher confidence',
    rules: [
      rule({}),
      rule({ dataset_urn: OTHER, resolution_confidence: 'LOW', extraction_rule: 'event_type=orders.cancelled' }),
    ],
    urn: OTHER,
  },
  {
    name: 'extraction rule that does not match falls back',
    rules: [rule({}), rule({ dataset_urn: OTHER, extraction_rule: 'event_type=orders.refunded' })],
    urn: URN,
  },
  {
    name: 'HIGH beats MEDIUM',
    rules: [rule({ dataset_urn: OTHER, resolution_confidence: 'MEDIUM' }), rule({})],
    urn: URN,
  },
  {
    name: 'TOPIC beats TOPIC_PATTERN',
    rules: [rule({ source_type: 'TOPIC_PATTERN', source_value: 'raw\\..*', dataset_urn: OTHER }), rule({})],
    urn: URN,
  },
  {
    name: 'TOPIC_PATTERN is a full match',
    rules: [rule({ source_type: 'TOPIC_PATTERN', source_value: 'raw\\.orders' })],
    urn: null,
    code: 'UNRESOLVED_DATASET',
  },
  {
    name: 'TOPIC_PATTERN matches',
    rules: [rule({ source_type: 'TOPIC_PATTERN', source_value: 'raw\\.orders\\..+' })],
    urn: URN,
  },
  {
    name: 'HEADER rule',
    rules: [rule({ source_type: 'HEADER', source_value: 'dataset=cancel', dataset_urn: OTHER })],
    record: rec(body, headers({ dataset: 'cancel' })),
    urn: OTHER,
  },
  {
    name: 'header extraction rule',
    rules: [rule({}), rule({ dataset_urn: OTHER, extraction_rule: 'header:ce_type=cancelled' })],
    record: rec(body, headers({ ce_type: 'cancelled' })),
    urn: OTHER,
  },
  {
    name: 'SCHEMA_ID rule by Glue version id',
    rules: [
      rule({ dataset_urn: OTHER, resolution_confidence: 'LOW' }),
      rule({ source_type: 'SCHEMA_ID', source_value: V1, resolution_confidence: 'LOW' }),
    ],
    record: rec(glue(V1, Buffer.from(JSON.stringify(body)))),
    urn: URN,
  },
  {
    name: 'SCHEMA_ID rule by glue:<name>:<version>',
    rules: [rule({ source_type: 'SCHEMA_ID', source_value: 'glue:orders.created:1' })],
    record: rec(glue(V1, Buffer.from(JSON.stringify(body)))),
    urn: URN,
  },
];

for (const c of cases) {
  test(`RESOLUTION: ${c.name}`, () => {
    const { event } = run(snapshot({ policies, resolution: c.rules }), c.record ?? rec(body));
    assert.equal(event.dataset_urn, c.urn);
    if (c.code) {
      assert.deepEqual(event.validation.failed_gates, ['RESOLUTION']);
      assert.deepEqual(event.validation.reason_codes, [c.code]);
      assert.equal(event.validation.result, 'FAIL');
      assert.equal(event.producer.identity_confidence, 'NONE');
    } else assert.ok(!event.validation.failed_gates.includes('RESOLUTION'));
  });
}

test('RESOLUTION: TOPIC_PATTERN runs on RE2 (a backtracking pattern against a hostile topic name answers at once)', () => {
  const c = compile([rule({ source_type: 'TOPIC_PATTERN', source_value: '(a+)+' })]);
  const t0 = performance.now();
  const res = evaluate(c, rec({}, { topic: `${'a'.repeat(60)}-` }), { schemaKeys: [], payload: () => undefined });
  assert.ok(performance.now() - t0 < 250);
  assert.equal(res.code, 'UNRESOLVED_DATASET');
  assert.equal(evaluate(c, rec({}, { topic: 'aaa' }), { schemaKeys: [], payload: () => undefined }).dataset, URN);
});
