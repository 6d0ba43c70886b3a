import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDiff } from '../../../src/control-plane/policy/diff.js';

test('jsonDiff: added, removed and replaced fields, nested, as JSON Pointer paths', () => {
  const from = { mode: 'OBSERVE', owners: ['a', 'b'], pii: { ssn: 'BLOCK' }, 'a/b': 1, gone: true };
  const to = { mode: 'QUARANTINE_ON_FAIL', owners: ['a'], pii: { ssn: 'BLOCK', email: 'MASK' }, 'a/b': 2 };
  assert.deepEqual(jsonDiff(from, to), [
    { op: 'replace', path: '/a~1b', from_value: 1, value: 2 },
    { op: 'remove', path: '/gone', from_value: true },
    { op: 'replace', path: '/mode', from_value: 'OBSERVE', value: 'QUARANTINE_ON_FAIL' },
    { op: 'remove', path: '/owners/1', from_value: 'b' },
    { op: 'add', path: '/pii/email', value: 'MASK' },
  ]);
});

test('jsonDiff: equal documents have no changes; a type change is one replace', () => {
  assert.deepEqual(jsonDiff({ a: [1, { b: null }] }, { a: [1, { b: null }] }), []);
  assert.deepEqual(jsonDiff({ a: [1] }, { a: { 0: 1 } }), [
    { op: 'replace', path: '/a', from_value: [1], value: { 0: 1 } },
  ]);
  assert.deepEqual(jsonDiff([1, 2, 3], []), [
    { op: 'remove', path: '/2', from_value: 3 },
    { op: 'remove', path: '/1', from_value: 2 },
    { op: 'remove', path: '/0', from_value: 1 },
  ]);
});
