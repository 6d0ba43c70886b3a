import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContractField } from '../../../src/models/contract.js';
import { compile, evaluate } from '../../../src/workers/gates/contract.js';
import { CONTRACT, order, policy, rec, run, snapshot } from './fixtures.js';

const c = compile(CONTRACT);
const cases: Array<{ name: string; mutate: (o: any) => void; codes: string[] }> = [
  { name: 'valid order', mutate: () => {}, codes: [] },
  { name: 'required missing', mutate: (o) => delete o.customer_id, codes: ['MISSING_FIELD:customer_id'] },
  {
    name: 'required null',
    mutate: (o) => {
      o.customer_id = null;
    },
    codes: ['MISSING_FIELD:customer_id'],
  },
  {
    name: 'type',
    mutate: (o) => {
      o.amount = '42';
    },
    codes: ['TYPE_MISMATCH:amount'],
  },
  {
    name: 'enum',
    mutate: (o) => {
      o.currency = 'JPY';
    },
    codes: ['NOT_IN_ENUM:currency'],
  },
  {
    name: 'maximum',
    mutate: (o) => {
      o.amount = 2_000_000;
    },
    codes: ['OUT_OF_RANGE:amount'],
  },
  {
    name: 'minimum',
    mutate: (o) => {
      o.amount = -1;
    },
    codes: ['OUT_OF_RANGE:amount'],
  },
  {
    name: 'pattern is whole-string',
    mutate: (o) => {
      o.order_id = 'xo-1x';
    },
    codes: ['PATTERN_MISMATCH:order_id'],
  },
  {
    name: 'min_length',
    mutate: (o) => {
      o.customer_id = '';
    },
    codes: ['LENGTH_OUT_OF_RANGE:customer_id'],
  },
  {
    name: 'format',
    mutate: (o) => {
      o.created_at = '13/01/2026';
    },
    codes: ['FORMAT_MISMATCH:created_at'],
  },
  { name: 'items[].sku per element', mutate: (o) => delete o.items[2].sku, codes: ['MISSING_FIELD:items[2].sku'] },
  {
    name: 'items[].qty per element',
    mutate: (o) => {
      o.items[1].qty = 0;
      o.items[0].qty = 1.5;
    },
    codes: ['TYPE_MISMATCH:items[0].qty', 'OUT_OF_RANGE:items[1].qty'],
  },
  {
    name: 'max_length per element',
    mutate: (o) => {
      o.items[0].sku = 'x'.repeat(33);
    },
    codes: ['LENGTH_OUT_OF_RANGE:items[0].sku'],
  },
  {
    name: 'array path that is not an array',
    mutate: (o) => {
      o.items = { sku: 'a' };
    },
    codes: ['TYPE_MISMATCH:items'],
  },
  { name: 'parent of a required field missing', mutate: (o) => delete o.customer, codes: [] },
];
for (const t of cases) {
  test(`CONTRACT: ${t.name}`, () => {
    const o = order();
    t.mutate(o);
    assert.deepEqual(evaluate(c, o) ?? [], t.codes);
  });
}

test('CONTRACT: a required nested field is named by its full path when its parent is absent', () => {
  const fields: ContractField[] = [{ path: 'customer.address.zip', required: true }];
  assert.deepEqual(evaluate(compile({ ...CONTRACT, fields }), { customer: {} }), [
    'MISSING_FIELD:customer.address.zip',
  ]);
  assert.deepEqual(evaluate(compile({ ...CONTRACT, fields }), {}), ['MISSING_FIELD:customer.address.zip']);
  assert.deepEqual(evaluate(compile({ ...CONTRACT, fields }), { customer: 'x' }), ['TYPE_MISMATCH:customer']);
});

test('CONTRACT: length counts code points', () => {
  const fields: ContractField[] = [{ path: 'name', max_length: 2 }];
  assert.equal(evaluate(compile({ ...CONTRACT, fields }), { name: '😀😀' }), null);
  // Around the bounds, where UTF-16 length alone would decide wrongly either way.
  const range = compile({ ...CONTRACT, fields: [{ path: 'name', min_length: 3, max_length: 3 }] });
  const codes = (name: string) => evaluate(range, { name });
  assert.equal(codes('😀😀a'), null); // 5 units, 3 code points
  assert.equal(codes('abc'), null);
  assert.deepEqual(codes('😀😀'), ['LENGTH_OUT_OF_RANGE:name']); // 4 units, 2 code points
  assert.deepEqual(codes('😀😀ab'), ['LENGTH_OUT_OF_RANGE:name']); // 6 units, 4 code points
  assert.deepEqual(codes('ab'), ['LENGTH_OUT_OF_RANGE:name']);
  // A lone surrogate (JSON may escape one) is a code point of its own, as [...s] counts it.
  for (const s of ['\ud800\ud800\ud800', '\ud800\ud800\udc00', 'a\ud800\ud800', '\udc00\ud800x', '\ud800\udc00\ud800'])
    assert.equal(codes(s) === null, [...s].length === 3, JSON.stringify(s));
  assert.deepEqual(evaluate(range, JSON.parse('{"name":"\\ud800"}')), ['LENGTH_OUT_OF_RANGE:name']);
});

test('CONTRACT: CONTRACT_NOT_FOUND when the policy names an unknown contract', () => {
  const { event } = run(snapshot({ contracts: [], policies: [policy({ pii_policy: 'DETECT' })] }), rec(order()));
  assert.deepEqual(event.validation.reason_codes, ['CONTRACT_NOT_FOUND']);
});

test('CONTRACT: TOO_MANY_ERRORS caps the codes', () => {
  const o = order(50);
  for (const i of o.items as any[]) delete i.sku;
  const codes = evaluate(c, o)!;
  assert.equal(codes.length, 33);
  assert.equal(codes[32], 'TOO_MANY_ERRORS');
});

test('CONTRACT: the compiled contract is used for every record (no per-record RegExp)', () => {
  const snap = snapshot({ policies: [policy({ schema_id: undefined })] });
  assert.deepEqual(run(snap, rec(order())).event.validation.failed_gates, []);
});

/** A one-field contract: `v`, a string with `pattern`. */
const onePattern = (pattern: string) =>
  compile({
    contract_id: 'dc:t:1',
    created_at: '2026-01-01T00:00:00Z',
    created_by: 't',
    fields: [{ path: 'v', type: 'string', pattern }],
  });

/** The issue-13 bait: V8's backtracking engine needs ~2^n steps for these near-misses. */
const REDOS: Array<[string, string]> = [
  ['(a+)+', `${'a'.repeat(40)}!`],
  ['(x|x)*y', 'x'.repeat(40)],
  ['^(\\w+\\s?)*$', `${'word '.repeat(30)}!`],
];

test('CONTRACT: patterns run in linear time (RE2): catastrophic-backtracking bait answers at once', () => {
  for (const [pattern, bait] of REDOS) {
    const cc = onePattern(pattern);
    const t0 = performance.now();
    assert.deepEqual(evaluate(cc, { v: bait }), ['PATTERN_MISMATCH:v'], pattern);
    const ms = performance.now() - t0;
    // V8 takes minutes on each of these; RE2 a fraction of a millisecond.
    assert.ok(ms < 250, `${pattern}: ${ms} ms`);
  }
});

test('CONTRACT: ECMAScript pattern syntax keeps its meaning on RE2', () => {
  const cases: Array<[string, string, boolean]> = [
    ['\\u00e9+', 'éé', true],
    ['\\u{1F600}', '😀', true],
    ['[A-Z]{3}', 'EUR', true],
    ['[A-Z]{3}', 'EURO', false], // whole-string match
    ['\\d{4}-\\d{2}', '2026-01', true],
    ['a|b', 'ab', false], // anchoring wraps the alternation
    ['\\p{Lu}\\p{Ll}+', 'Émile', true],
    ['.', '😀', true], // a code point, as in Unicode mode
  ];
  for (const [pattern, value, ok] of cases) {
    const cc = onePattern(pattern);
    assert.deepEqual(evaluate(cc, { v: value }), ok ? null : ['PATTERN_MISMATCH:v'], `${pattern} on ${value}`);
  }
});

test('CONTRACT: a stored pattern RE2 cannot run never matches and is a compile warning', () => {
  const cc = onePattern('(?=a)a');
  assert.deepEqual(evaluate(cc, { v: 'a' }), ['PATTERN_MISMATCH:v']);
  assert.equal(cc.warnings.length, 1);
  assert.match(cc.warnings[0], /^INVALID_PATTERN:v: /);
});
