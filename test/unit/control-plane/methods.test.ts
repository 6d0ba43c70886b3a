import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validationDetails } from '../../../src/control-plane/app.js';
import { KnownPaths } from '../../../src/control-plane/methods.js';

test('known paths: the methods of the route a path matches', () => {
  const k = new KnownPaths();
  k.add('GET', '/v1/datasets/:dataset_urn/policy');
  k.add(['PUT', 'DELETE'], '/v1/datasets/:dataset_urn/policy');
  k.add('GET', '/v1/snapshot');
  k.add('GET', '/openapi.json');
  assert.deepEqual(k.allowed('/v1/datasets/urn:dp:a:b/policy'), ['DELETE', 'GET', 'PUT']);
  assert.deepEqual(k.allowed('/v1/snapshot'), ['GET']);
  assert.deepEqual(k.allowed('/v1/datasets/a/b/policy'), [], 'a parameter is one segment');
  assert.deepEqual(k.allowed('/openapiXjson'), [], 'literal dots');
  assert.deepEqual(k.allowed('/v1/nothing'), []);
});

test('enum errors list the allowed values (union of literals and enum)', () => {
  const d = validationDetails('querystring', [
    {
      instancePath: '/result',
      keyword: 'const',
      message: 'must be equal to constant',
      params: { allowedValue: 'PASS' },
    },
    {
      instancePath: '/result',
      keyword: 'const',
      message: 'must be equal to constant',
      params: { allowedValue: 'FAIL' },
    },
    { instancePath: '/result', keyword: 'anyOf', message: 'must match a schema in anyOf', params: {} },
    {
      instancePath: '/gate',
      keyword: 'enum',
      message: 'must be equal to one of the allowed values',
      params: { allowedValues: ['SCHEMA', 'PII'] },
    },
  ]);
  assert.deepEqual(d, [
    { path: '/querystring/result', keyword: 'anyOf', message: 'must be one of: PASS, FAIL', allowed: ['PASS', 'FAIL'] },
    { path: '/querystring/gate', keyword: 'enum', message: 'must be one of: SCHEMA, PII', allowed: ['SCHEMA', 'PII'] },
  ]);
});
