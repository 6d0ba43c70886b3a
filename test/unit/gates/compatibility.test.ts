import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompatibilityMode } from '../../../src/models/policy.js';
import { readerAcceptsWriter } from '../../../src/workers/gates/json-compat.js';
import type { RegistrySchema } from '../../../src/workers/protocol.js';
import { glue, policy, rec, run, schema, snapshot } from './fixtures.js';

const vid = (n: number) => `${String(n).repeat(8)}-0000-4000-8000-000000000000`;
const js = (n: number, def: object, format: RegistrySchema['data_format'] = 'JSON') =>
  schema({
    schema_id: `glue:s:${n}`,
    version_id: vid(n),
    schema_name: 's',
    version_number: n,
    definition: JSON.stringify(def),
    data_format: format,
    compatibility: 'NONE',
  });

const base = { type: 'object', properties: { id: { type: 'string' }, n: { type: 'integer' } }, required: ['id'] };
const addedRequired = { ...base, properties: { ...base.properties, x: { type: 'string' } }, required: ['id', 'x'] };
const addedOptional = { ...base, properties: { ...base.properties, x: { type: 'string' } } };

/** The record is written with version `w`; the dataset's registered schema is version `r`. */
function verdict(versions: RegistrySchema[], w: number, r: number, mode: CompatibilityMode): string[] {
  const snap = snapshot({
    policies: [
      policy({ schema_id: `glue:s:${r}`, contract_id: undefined, pii_policy: 'ALLOW', compatibility_mode: mode }),
    ],
    schemas: versions,
  });
  const out = run(snap, rec(glue(vid(w), Buffer.from('{"id":"a"}'))));
  const i = out.verdict.failed_gates.indexOf('COMPATIBILITY');
  return i < 0 ? [] : out.gateCodes[i];
}

const v1 = js(1, base);
test('COMPATIBILITY: NONE and DISABLED never fail', () => {
  assert.deepEqual(verdict([v1, js(2, addedRequired)], 2, 1, 'NONE'), []);
  assert.deepEqual(verdict([v1, js(2, addedRequired)], 2, 1, 'DISABLED'), []);
});
test('COMPATIBILITY: BACKWARD flags an added required property', () => {
  assert.deepEqual(verdict([v1, js(2, addedRequired)], 2, 1, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE:x']);
  assert.deepEqual(verdict([v1, js(2, addedRequired)], 2, 1, 'FORWARD'), []);
});
test('COMPATIBILITY: FORWARD flags a removed required property', () => {
  const removed = { type: 'object', properties: { n: { type: 'integer' } } };
  assert.deepEqual(verdict([v1, js(2, removed)], 2, 1, 'FORWARD'), ['FORWARD_INCOMPATIBLE:id']);
  assert.deepEqual(verdict([v1, js(2, removed)], 2, 1, 'FULL'), ['FORWARD_INCOMPATIBLE:id']);
});
test('COMPATIBILITY: the older writer of a newer registered schema is judged the same way', () => {
  assert.deepEqual(verdict([v1, js(2, addedRequired)], 1, 2, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE:x']);
});
test('COMPATIBILITY: type narrowing and enum narrowing', () => {
  const narrowed = { ...base, properties: { id: { type: 'string' }, n: { type: 'integer', enum: [1, 2] } } };
  assert.deepEqual(verdict([v1, js(2, narrowed)], 2, 1, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE:n']);
  const widened = { ...base, properties: { id: { type: 'string' }, n: { type: 'number' } } };
  assert.deepEqual(verdict([v1, js(2, widened)], 2, 1, 'BACKWARD'), []);
  assert.deepEqual(verdict([v1, js(2, widened)], 2, 1, 'FORWARD'), ['FORWARD_INCOMPATIBLE:n']);
});
test('COMPATIBILITY: closed content models', () => {
  const closed = { ...base, additionalProperties: false };
  const closedRemoved = {
    type: 'object',
    additionalProperties: false,
    properties: { id: { type: 'string' } },
    required: ['id'],
  };
  assert.deepEqual(verdict([js(1, closed), js(2, closedRemoved)], 2, 1, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE:n']);
  // Adding an optional property to an open model: old data may carry anything under that name.
  assert.deepEqual(verdict([v1, js(2, addedOptional)], 2, 1, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE:x']);
  assert.deepEqual(verdict([js(1, closed), js(2, { ...addedOptional, additionalProperties: false })], 2, 1, 'FULL'), [
    'FORWARD_INCOMPATIBLE:x',
  ]);
});
test('COMPATIBILITY: _ALL modes compare with every earlier version', () => {
  const v2 = js(2, addedOptional);
  const v3 = js(3, { ...addedOptional, required: ['id', 'x'] });
  // v3 reads v2 data (x may be absent in v2? it is optional there, so no) -> incompatible with both.
  assert.deepEqual(verdict([v1, v2, v3], 3, 2, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE:x']);
  const onlyV1Breaks = js(3, { ...base, properties: { id: { type: 'string' } }, additionalProperties: false });
  assert.deepEqual(
    verdict(
      [
        js(1, { ...base, properties: { ...base.properties, z: { type: 'string' } } }),
        js(2, {
          type: 'object',
          additionalProperties: false,
          properties: { id: { type: 'string' } },
          required: ['id'],
        }),
        onlyV1Breaks,
      ],
      3,
      2,
      'BACKWARD',
    ),
    [],
  );
  assert.deepEqual(
    verdict(
      [
        js(1, { ...base, properties: { ...base.properties, z: { type: 'string' } } }),
        js(2, {
          type: 'object',
          additionalProperties: false,
          properties: { id: { type: 'string' } },
          required: ['id'],
        }),
        onlyV1Breaks,
      ],
      3,
      2,
      'BACKWARD_ALL',
    ).sort(),
    ['BACKWARD_INCOMPATIBLE', 'BACKWARD_INCOMPATIBLE:n', 'BACKWARD_INCOMPATIBLE:z'],
  );
});
test('COMPATIBILITY: Avro through the avsc resolver', () => {
  const a1 = { type: 'record', name: 'O', fields: [{ name: 'id', type: 'string' }] };
  const a2ok = {
    type: 'record',
    name: 'O',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'x', type: 'string', default: '' },
    ],
  };
  const a2bad = {
    type: 'record',
    name: 'O',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'x', type: 'string' },
    ],
  };
  assert.deepEqual(verdict([js(1, a1, 'AVRO'), js(2, a2ok, 'AVRO')], 2, 1, 'FULL'), []);
  assert.deepEqual(verdict([js(1, a1, 'AVRO'), js(2, a2bad, 'AVRO')], 2, 1, 'BACKWARD'), ['BACKWARD_INCOMPATIBLE']);
  assert.deepEqual(verdict([js(1, a1, 'AVRO'), js(2, a2bad, 'AVRO')], 2, 1, 'FORWARD'), []);
});
test('COMPATIBILITY: DATA_FORMAT_CHANGED and REGISTERED_SCHEMA_UNAVAILABLE', () => {
  const a = { type: 'record', name: 'O', fields: [{ name: 'id', type: 'string' }] };
  assert.deepEqual(verdict([v1, js(2, a, 'AVRO')], 2, 1, 'BACKWARD'), ['DATA_FORMAT_CHANGED']);
  assert.ok(verdict([js(2, base)], 2, 1, 'BACKWARD').includes('REGISTERED_SCHEMA_UNAVAILABLE'));
});
test('COMPATIBILITY: the policy mode overrides the registry setting; the registry setting applies otherwise', () => {
  const v2 = { ...js(2, addedRequired) };
  const reg = { ...v1, compatibility: 'BACKWARD' as const };
  const snap = snapshot({
    policies: [policy({ schema_id: 'glue:s:1', contract_id: undefined, pii_policy: 'ALLOW' })],
    schemas: [reg, v2],
  });
  const { event } = run(snap, rec(glue(vid(2), Buffer.from('{"id":"a","x":"b"}'))));
  assert.deepEqual(event.validation.reason_codes, ['BACKWARD_INCOMPATIBLE:x']);
});
test('COMPATIBILITY: unmodelled keywords are incompatible unless unchanged', () => {
  const a = { anyOf: [{ type: 'string' }, { type: 'number' }] };
  assert.deepEqual(readerAcceptsWriter(a, { ...a }), []);
  assert.deepEqual(readerAcceptsWriter(a, { anyOf: [{ type: 'string' }] }), ['']);
});
