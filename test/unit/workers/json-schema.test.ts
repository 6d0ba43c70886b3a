/**
 * The JSON Schema points of issue 16, each through the gate's compile path (compileSchemas) and
 * its evaluate, with the reason codes the gate reports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../../../src/workers/gates/schema.js';
import { draftOf } from '../../../src/workers/json-schema-draft.js';
import { compileSchemas } from '../../../src/workers/schemas.js';
import { schema, V1 } from '../gates/fixtures.js';

const D7 = 'http://json-schema.org/draft-07/schema#';
const D2019 = 'https://json-schema.org/draft/2019-09/schema';
const D2020 = 'https://json-schema.org/draft/2020-12/schema';

const compile = (def: unknown) => compileSchemas([schema({ definition: JSON.stringify(def) })]).get(V1)!;
/** Reason codes for `value` (null: valid); a compile error is returned as its code. */
const codes = (def: unknown, value: unknown) => evaluate(compile(def), value, false);

test('$schema picks the draft (http/https, trailing #); none or unknown means draft-07', () => {
  assert.equal(draftOf({ $schema: 'http://json-schema.org/draft-04/schema#' }), 'draft-04');
  assert.equal(draftOf({ $schema: 'https://json-schema.org/draft-06/schema' }), 'draft-06');
  assert.equal(draftOf({ $schema: D2019 }), '2019-09');
  assert.equal(draftOf({ $schema: `${D2020}#` }), '2020-12');
  assert.equal(draftOf({}), 'draft-07');
  assert.equal(draftOf({ $schema: 'https://example.com/mine' }), 'draft-07');
});

test('boolean schemas at the root and below', () => {
  assert.equal(codes(true, { any: 1 }), null);
  assert.deepEqual(codes(false, {}), ['SCHEMA_MISMATCH']);
  assert.equal(compile(true).error, undefined);
  assert.deepEqual(codes({ properties: { a: false } }, { a: 1 }), ['SCHEMA_MISMATCH:a']);
  assert.equal(codes({ properties: { a: true } }, { a: 1 }), null);
});

test('draft-07 and earlier: siblings of $ref are ignored; 2019-09 applies them', () => {
  const def = (s: string) => ({
    $schema: s,
    definitions: { reffed: { type: 'array' } },
    properties: { foo: { $ref: '#/definitions/reffed', maxItems: 2 } },
  });
  assert.equal(codes(def(D7), { foo: [1, 2, 3] }), null);
  assert.deepEqual(codes(def(D2019), { foo: [1, 2, 3] }), ['LENGTH_OUT_OF_RANGE:foo']);
});

test('$id resolves against the nearest parent, and relative refs against absolute URIs', () => {
  const def = {
    $id: 'http://example.com/a.json',
    definitions: {
      x: { $id: 'http://example.com/b/c.json', definitions: { y: { $id: 'd.json', type: 'number' } } },
    },
    properties: { n: { $ref: 'http://example.com/b/d.json' } },
  };
  assert.equal(compile(def).error, undefined);
  assert.equal(codes(def, { n: 1 }), null);
  assert.deepEqual(codes(def, { n: 'x' }), ['TYPE_MISMATCH:n']);
});

test('properties named like JavaScript object internals are ordinary properties', () => {
  const def = {
    properties: { __proto__: { type: 'number' }, constructor: { type: 'number' } },
    required: ['toString'],
  };
  const parsed = (s: string) => JSON.parse(s) as unknown;
  assert.deepEqual(
    codes(
      JSON.parse(JSON.stringify(def).replace('"properties":{', '"properties":{"__proto__":{"type":"number"},')),
      parsed('{"__proto__":"x","toString":1}'),
    ),
    ['TYPE_MISMATCH:__proto__'],
  );
  assert.deepEqual(codes(def, {}), ['MISSING_FIELD:toString']);
  assert.equal(codes(def, { toString: 1, constructor: 2 }), null);
});

test('a document validated against the meta-schema by $ref: definitions are checked', () => {
  const def = { $schema: D7, $ref: D7 };
  assert.equal(codes(def, { definitions: { foo: { type: 'integer' } } }), null);
  assert.notEqual(codes(def, { definitions: { foo: { type: 1 } } }), null);
});

test('2019-09 and 2020-12 keywords: $defs, unevaluatedProperties, dependentRequired, prefixItems', () => {
  const d2020 = {
    $schema: D2020,
    $defs: { id: { type: 'string', minLength: 3 } },
    type: 'object',
    properties: {
      id: { $ref: '#/$defs/id' },
      card: { type: 'string' },
      pair: { prefixItems: [{ type: 'integer' }, { type: 'string' }] },
    },
    allOf: [{ properties: { billing: { type: 'string' } } }],
    dependentRequired: { card: ['billing'] },
    unevaluatedProperties: false,
  };
  assert.equal(codes(d2020, { id: 'abc', card: 'x', billing: 'y', pair: [1, 'a'] }), null);
  assert.deepEqual(codes(d2020, { id: 'abc', extra: 1 }), ['UNEXPECTED_FIELD:extra']);
  assert.deepEqual(codes(d2020, { id: 'ab' }), ['LENGTH_OUT_OF_RANGE:id']);
  assert.deepEqual(codes(d2020, { id: 'abc', card: 'x' }), ['SCHEMA_MISMATCH']);
  assert.deepEqual(codes(d2020, { id: 'abc', pair: ['a', 'a'] }), ['TYPE_MISMATCH:pair[0]']);
  const d2019 = { ...d2020, $schema: D2019 };
  assert.deepEqual(codes(d2019, { id: 'abc', extra: 1 }), ['UNEXPECTED_FIELD:extra']);
});

test('format asserts up to 2019-09 and is an annotation in 2020-12 (its default vocabulary)', () => {
  const def = (s: string) => ({ $schema: s, properties: { t: { type: 'string', format: 'date-time' } } });
  assert.deepEqual(codes(def(D7), { t: 'yesterday' }), ['FORMAT_MISMATCH:t']);
  assert.deepEqual(codes(def(D2019), { t: 'yesterday' }), ['FORMAT_MISMATCH:t']);
  assert.equal(codes(def(D2020), { t: 'yesterday' }), null);
});

test('an unresolved $ref is a compile error in every draft; a broken document names its problem', () => {
  for (const s of [D7, D2019, D2020, 'http://json-schema.org/draft-04/schema#']) {
    const c = compile({ $schema: s, properties: { a: { $ref: '#/definitions/missing' } } });
    assert.equal(c.error, 'UNRESOLVED_REF', s);
    assert.ok(
      c.warnings.some((w) => w.startsWith('UNRESOLVED_REF:')),
      s,
    );
  }
  const bad = compile({ $schema: D2020, type: 'objekt' });
  assert.equal(bad.error, 'SCHEMA_DEFINITION_INVALID');
  assert.match(bad.problem!, /type/);
});

test('registry schemas of different drafts reference each other by $id', () => {
  const money = { $schema: D2020, $id: 'https://example.com/money.json', type: 'number', minimum: 0 };
  const order = { $schema: D7, properties: { total: { $ref: 'https://example.com/money.json' } } };
  const all = compileSchemas([
    schema({ definition: JSON.stringify(order) }),
    schema({ definition: JSON.stringify(money), version_id: 'v-money', schema_id: 'glue:money:1' }),
  ]);
  const c = all.get(V1)!;
  assert.equal(c.error, undefined, c.problem);
  assert.deepEqual(evaluate(c, { total: -1 }, false), ['OUT_OF_RANGE:total']);
  assert.equal(evaluate(c, { total: 1 }, false), null);
});

test('patternProperties run on RE2 too (ajv drafts): catastrophic-backtracking bait answers at once', () => {
  const def = { patternProperties: { '^(a+)+$': { type: 'number' } } };
  const key = `${'a'.repeat(40)}!`;
  const t0 = performance.now();
  assert.equal(codes(def, { [key]: 'x' }), null);
  assert.ok(performance.now() - t0 < 500);
});
