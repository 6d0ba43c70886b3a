import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { toApiError } from '../../../src/control-plane/app.js';
import {
  ApiError,
  ERROR_CODES,
  ERROR_STATUS,
  StoreError,
  VersionConflictError,
} from '../../../src/control-plane/errors.js';

test('every error code is documented in docs/errors.md with its HTTP status', () => {
  const doc = readFileSync(resolve('docs/errors.md'), 'utf8');
  for (const code of ERROR_CODES) {
    const row = new RegExp(`^\\| \`${code}\` \\| ${ERROR_STATUS[code]} \\|`, 'm');
    assert.match(doc, row, `${code} (${ERROR_STATUS[code]}) missing from docs/errors.md`);
  }
  const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(
    documented.filter((c) => !(c in ERROR_STATUS)),
    [],
    'docs list no code the server lacks',
  );
});

test('ApiError carries its status and the JSON envelope', () => {
  const e = new ApiError('PRECONDITION_FAILED', 'stale', { current_version: 3 });
  assert.equal(e.status, 412);
  assert.deepEqual(e.toBody(), {
    error: { code: 'PRECONDITION_FAILED', message: 'stale', details: { current_version: 3 } },
  });
  assert.deepEqual(new ApiError('FORBIDDEN', 'no').toBody(), { error: { code: 'FORBIDDEN', message: 'no' } });
});

test('toApiError maps store, validation and framework errors to stable codes', () => {
  assert.equal(toApiError(new StoreError('x')).code, 'STORE_FAILURE');
  assert.equal(toApiError(new VersionConflictError('x')).code, 'PRECONDITION_FAILED');
  assert.equal(toApiError(new Error('boom')).code, 'INTERNAL');
  assert.equal(
    toApiError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code,
    'PAYLOAD_TOO_LARGE',
  );
  assert.equal(
    toApiError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 })).code,
    'MALFORMED_REQUEST',
  );
  const v = toApiError(
    Object.assign(new Error('x'), {
      validationContext: 'body',
      validation: [
        { instancePath: '', keyword: 'required', params: { requiredProperties: ['owners', 'tier'] } },
        { instancePath: '/mode', keyword: 'const', params: {} },
        { instancePath: '/mode', keyword: 'anyOf', params: {} },
      ],
    }),
  );
  assert.equal(v.code, 'VALIDATION_FAILED');
  assert.deepEqual(
    (v.details as { path: string }[]).map((d) => d.path),
    ['/body/owners', '/body/tier', '/body/mode'],
  );
});
