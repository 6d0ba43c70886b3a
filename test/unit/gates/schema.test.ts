import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { compileSchemas } from '../../../src/workers/schemas.js';
import { glue, ORDER_SCHEMA, order, policy, rec, run, schema, snapshot, V1, V2 } from './fixtures.js';

const STRICT = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'n'],
  properties: {
    id: { type: 'string', pattern: '^o-[0-9]+$', minLength: 3 },
    n: { type: 'integer', minimum: 0 },
    c: { enum: ['USD', 'EUR'] },
    t: { type: 'string', format: 'date-time' },
    tags: { type: 'array', uniqueItems: true },
    u: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    items: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
  },
};
const strictSnap = (def: object = STRICT, extra: Partial<Parameters<typeof schema>[0]> = {}) =>
  snapshot({
    policies: [policy({ contract_id: undefined, pii_policy: 'ALLOW' })],
    schemas: [schema({ definition: JSON.stringify(def), ...extra })],
  });
const ok = { id: 'o-12', n: 1 };

const cases: Array<{ name: string; value: object; codes: string[] }> = [
  { name: 'valid', value: ok, codes: [] },
  { name: 'required', value: { id: 'o-12' }, codes: ['MISSING_FIELD:n'] },
  { name: 'type', value: { ...ok, n: 'x' }, codes: ['TYPE_MISMATCH:n'] },
  { name: 'enum', value: { ...ok, c: 'JPY' }, codes: ['NOT_IN_ENUM:c'] },
  { name: 'minimum', value: { ...ok, n: -1 }, codes: ['OUT_OF_RANGE:n'] },
  { name: 'pattern', value: { ...ok, id: 'x-12' }, codes: ['PATTERN_MISMATCH:id'] },
  { name: 'minLength', value: { ...ok, id: 'o-' }, codes: ['LENGTH_OUT_OF_RANGE:id', 'PATTERN_MISMATCH:id'] },
  { name: 'format', value: { ...ok, t: 'yesterday' }, codes: ['FORMAT_MISMATCH:t'] },
  { name: 'additionalProperties', value: { ...ok, extra: 1 }, codes: ['UNEXPECTED_FIELD:extra'] },
  { name: 'uniqueItems', value: { ...ok, tags: [1, 1] }, codes: ['DUPLICATE_ITEMS:tags'] },
  { name: 'anyOf', value: { ...ok, u: true }, codes: ['SCHEMA_MISMATCH:u'] },
  {
    name: 'array element path',
    value: { ...ok, items: [{ sku: 'a' }, { sku: 'b' }, {}] },
    codes: ['MISSING_FIELD:items[2].sku'],
  },
];
for (const c of cases) {
  test(`SCHEMA: ${c.name}`, () => {
    const { event } = run(strictSnap(), rec(c.value));
    const codes = event.validation.failed_gates.includes('SCHEMA') ? event.validation.reason_codes : [];
    assert.deepEqual([...codes].sort(), [...c.codes].sort());
  });
}

test('SCHEMA: a schema failure still lets CONTRACT and PII run', () => {
  const { event } = run(snapshot(), rec({ ...order(), event_type: 7, customer_id: undefined }));
  assert.deepEqual(event.validation.failed_gates, ['SCHEMA', 'CONTRACT']);
  assert.deepEqual(event.validation.reason_codes, ['TYPE_MISMATCH:event_type', 'MISSING_FIELD:customer_id']);
});

test('SCHEMA: too many errors are capped', () => {
  // TypeBox's Errors() already stops early; avsc reports every field, so the cap shows there.
  const { event } = run(strictSnap(), rec({ ...ok, items: Array.from({ length: 100 }, () => ({})) }));
  assert.ok(event.validation.reason_codes.length <= 33);
  assert.equal(event.validation.reason_codes[0], 'MISSING_FIELD:items[0].sku');
  const def = {
    type: 'record',
    name: 'W',
    fields: Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, type: 'int' })),
  };
  const wide = run(
    strictSnap(def, { data_format: 'AVRO' }),
    rec(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'x']))),
  );
  assert.equal(wide.event.validation.reason_codes.length, 33);
  assert.equal(wide.event.validation.reason_codes.at(-1), 'TOO_MANY_ERRORS');
});

test('SCHEMA: SCHEMA_REGISTRY_UNAVAILABLE and SCHEMA_NOT_FOUND', () => {
  const base = { policies: [policy({ schema_id: 'glue:orders.created:9' })], schemas: [] };
  assert.deepEqual(
    run(snapshot({ ...base, unavailable_schemas: ['glue:orders.created:9'] }), rec(order())).event.validation
      .reason_codes,
    ['SCHEMA_REGISTRY_UNAVAILABLE'],
  );
  assert.deepEqual(run(snapshot(base), rec(order())).event.validation.reason_codes, ['SCHEMA_NOT_FOUND']);
  // Wire-format record whose version id is unknown / unavailable.
  const wire = rec(glue(V2, Buffer.from(JSON.stringify(order()))));
  assert.ok(run(snapshot(), wire).event.validation.reason_codes.includes('SCHEMA_NOT_FOUND'));
  assert.ok(
    run(snapshot({ unavailable_schemas: [V2] }), wire).event.validation.reason_codes.includes(
      'SCHEMA_REGISTRY_UNAVAILABLE',
    ),
  );
});

test('SCHEMA: unresolved $ref is reported, not silently reject-all', () => {
  const def = { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } };
  const { event } = run(strictSnap(def), rec(ok));
  assert.deepEqual(event.validation.reason_codes, ['UNRESOLVED_REF']);
  const compiled = compileSchemas([schema({ definition: JSON.stringify(def) })]);
  assert.deepEqual(compiled.get(V1)!.warnings, ['UNRESOLVED_REF:#/definitions/missing']);
});

test('SCHEMA: cross-schema $ref by $id resolves', () => {
  const addr = schema({
    schema_id: 'glue:address:1',
    version_id: V2,
    schema_name: 'address',
    definition: JSON.stringify({ $id: 'https://x/address.json', type: 'object', required: ['zip'] }),
  });
  const main = schema({
    definition: JSON.stringify({
      $id: 'https://x/order.json',
      type: 'object',
      properties: { a: { $ref: 'address.json' } },
    }),
  });
  const snap = snapshot({ policies: [policy({ contract_id: undefined })], schemas: [main, addr] });
  assert.deepEqual(run(snap, rec({ a: { zip: '1' } })).event.validation.failed_gates, []);
  assert.deepEqual(run(snap, rec({ a: {} })).event.validation.reason_codes, ['MISSING_FIELD:a.zip']);
});

test('SCHEMA: unknown formats pass but are reported as compile warnings', () => {
  const compiled = compileSchemas([schema({ definition: JSON.stringify({ type: 'string', format: 'sku-code' }) })]);
  assert.deepEqual(compiled.get(V1)!.warnings, ['UNKNOWN_FORMAT:sku-code']);
});

test('SCHEMA: draft-04 boolean exclusiveMinimum is honoured', () => {
  const def = {
    $schema: 'http://json-schema.org/draft-04/schema#',
    type: 'object',
    properties: { n: { type: 'number', minimum: 5, exclusiveMinimum: true } },
  };
  assert.deepEqual(run(strictSnap(def), rec({ n: 5 })).event.validation.reason_codes, ['OUT_OF_RANGE:n']);
  assert.deepEqual(run(strictSnap(def), rec({ n: 6 })).event.validation.failed_gates, []);
});

test('SCHEMA: SCHEMA_DEFINITION_INVALID for JSON, Avro and Protobuf definitions', () => {
  assert.deepEqual(run(strictSnap(undefined, { definition: '{not json' }), rec(ok)).event.validation.reason_codes, [
    'SCHEMA_DEFINITION_INVALID',
  ]);
  assert.deepEqual(
    run(strictSnap(undefined, { definition: '{"type":"nope"}', data_format: 'AVRO' }), rec(ok)).event.validation
      .reason_codes,
    ['SCHEMA_DEFINITION_INVALID'],
  );
  // A .proto with no message has nothing to decode with.
  const { event } = run(strictSnap(undefined, { definition: 'syntax="proto3";', data_format: 'PROTOBUF' }), rec(ok));
  assert.ok(event.validation.reason_codes.includes('SCHEMA_DEFINITION_INVALID'));
});

test('SCHEMA: Avro, binary (decode proves conformance) and JSON text (isValid paths)', () => {
  const def = {
    type: 'record',
    name: 'O',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'int' },
    ],
  };
  const snap = strictSnap(def, { data_format: 'AVRO' });
  const t = avro.Type.forSchema(def as never);
  assert.deepEqual(run(snap, rec(glue(V1, t.toBuffer({ id: 'a', n: 1 })))).event.validation.failed_gates, []);
  assert.deepEqual(run(snap, rec({ id: 'a', n: 1 })).event.validation.failed_gates, []);
  assert.deepEqual(run(snap, rec({ id: 'a', n: 'x' })).event.validation.reason_codes, ['TYPE_MISMATCH:n']);
  assert.deepEqual(run(snap, rec({ n: 1 })).event.validation.reason_codes, ['MISSING_FIELD:id']);
});

test('SCHEMA: fingerprint is stable and canonical (key order does not matter)', () => {
  const a = compileSchemas([schema({ definition: JSON.stringify(ORDER_SCHEMA) })]).get(V1)!.fingerprint;
  const reordered = Object.fromEntries(Object.entries(ORDER_SCHEMA).reverse());
  const b = compileSchemas([schema({ definition: JSON.stringify(reordered) })]).get(V1)!.fingerprint;
  assert.equal(a, b);
  assert.match(a, /^sha256:[0-9a-f]{64}$/);
});

test('a JSON Schema that breaks its meta-schema is unusable (it would otherwise accept everything), with the reason', () => {
  const broken = compileSchemas([schema({ definition: JSON.stringify({ type: 'objekt', required: 'a' }) })]).get(V1)!;
  assert.equal(broken.error, 'SCHEMA_DEFINITION_INVALID');
  assert.equal(
    broken.problem,
    '/required must be array; /type must be one of array, boolean, integer, null, number, object, string',
  );
  const { event } = run(
    snapshot({ schemas: [schema({ definition: JSON.stringify({ type: 'objekt' }) })] }),
    rec(order()),
  );
  assert.deepEqual(event.validation.reason_codes, ['SCHEMA_DEFINITION_INVALID']);
  assert.equal(compileSchemas([schema({ definition: JSON.stringify(ORDER_SCHEMA) })]).get(V1)!.error, undefined);
  const avroBroken = compileSchemas([
    schema({
      data_format: 'AVRO',
      definition: JSON.stringify({ type: 'record', name: 'o', fields: [{ name: 'a', type: 'strang' }] }),
    }),
  ]).get(V1)!;
  assert.deepEqual(
    [avroBroken.error, avroBroken.problem],
    ['SCHEMA_DEFINITION_INVALID', 'undefined type name: strang'],
  );
});

test('SCHEMA: `pattern` keywords run on RE2: catastrophic-backtracking bait answers at once', () => {
  const def = {
    ...STRICT,
    properties: {
      ...STRICT.properties,
      id: { type: 'string', pattern: '^(a+)+$' },
      // A property *named* pattern is a schema, not the keyword: it keeps its own pattern.
      pattern: { type: 'string', pattern: '^\\u00e9$' },
    },
  };
  const snap = strictSnap(def);
  const t0 = performance.now();
  const bad = run(snap, rec(Buffer.from(JSON.stringify({ ...ok, id: `${'a'.repeat(40)}!`, pattern: 'é' }))));
  assert.ok(performance.now() - t0 < 1000, 'V8 would take minutes on this value');
  assert.deepEqual(bad.event.validation.reason_codes, ['PATTERN_MISMATCH:id']);
  const good = run(snap, rec(Buffer.from(JSON.stringify({ ...ok, id: 'aaa', pattern: 'é' }))));
  assert.deepEqual(good.event.validation.reason_codes, []);
  // The stored document keeps the pattern as text (COMPATIBILITY compares it).
  const [compiled] = compileSchemas([schema({ definition: JSON.stringify(def) })]).values();
  assert.equal((compiled.json!.properties as Record<string, { pattern: unknown }>).id.pattern, '^(a+)+$');
});

test('SCHEMA: a pattern RE2 cannot compile stays on V8 with a compile warning', () => {
  const def = { ...STRICT, properties: { ...STRICT.properties, id: { type: 'string', pattern: '^(?=o)o-1$' } } };
  const [compiled] = compileSchemas([schema({ definition: JSON.stringify(def) })]).values();
  assert.deepEqual(compiled.warnings, ['PATTERN_ON_V8:^(?=o)o-1$']);
  const snap = strictSnap(def);
  assert.deepEqual(run(snap, rec(Buffer.from(JSON.stringify({ ...ok, id: 'o-1' })))).event.validation.reason_codes, []);
  assert.deepEqual(run(snap, rec(Buffer.from(JSON.stringify({ ...ok, id: 'o-2' })))).event.validation.reason_codes, [
    'PATTERN_MISMATCH:id',
  ]);
});

test('SCHEMA: a pattern that is not valid in Unicode mode still makes the schema invalid, as before', () => {
  const def = { ...STRICT, properties: { ...STRICT.properties, id: { type: 'string', pattern: 'a\\-b' } } };
  const [compiled] = compileSchemas([schema({ definition: JSON.stringify(def) })]).values();
  assert.equal(compiled.error, 'SCHEMA_DEFINITION_INVALID');
});
