import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiError } from '../../../src/control-plane/errors.js';
import {
  canonicalJson,
  checkContract,
  checkDatasetOps,
  checkPolicy,
  parseEtags,
  sameContent,
} from '../../../src/control-plane/validation.js';
import { ifMatchOk } from '../../../src/control-plane/versioned-put.js';
import type { DatasetOpsToggles, DatasetPolicyInput } from '../../../src/models/index.js';

const policy: DatasetPolicyInput = {
  dataset_urn: 'urn:dp:a:b',
  enforcement_mode: 'ALERT_ONLY',
  pii_policy: 'DETECT',
  owners: ['t'],
  tier: 'TIER_1',
  freshness_slo_sec: 1,
  volume_rpm_expected: 1,
};
const code = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    return (err as ApiError).code;
  }
  return undefined;
};

test('canonical JSON ignores key order, keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: 1, c: 2 } }), canonicalJson({ a: { c: 2, d: 1 }, b: 1 }));
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
});

test('sameContent ignores server-managed fields only', () => {
  assert.ok(sameContent({ ...policy, version: 4, updated_at: 'x', updated_by: 'y' }, policy));
  assert.ok(!sameContent({ ...policy, version: 4 }, { ...policy, tier: 'TIER_2' }));
  assert.ok(!sameContent({ ...policy, blessed_topic: 'b' }, policy), 'a removed optional field is a change');
});

test('ETag parsing and If-Match matching', () => {
  assert.deepEqual(parseEtags('"5"'), [5]);
  assert.deepEqual(parseEtags('W/"5", "6"'), [5, 6]);
  assert.deepEqual(parseEtags('*'), ['*']);
  assert.equal(parseEtags(undefined), undefined);
  assert.deepEqual(parseEtags('"abc"'), []);
  assert.ok(ifMatchOk(undefined, 3));
  assert.ok(ifMatchOk([3], 3));
  assert.ok(!ifMatchOk([2], 3));
  assert.ok(ifMatchOk([0], undefined), '"0" matches a never-set entity');
  assert.ok(ifMatchOk(['*'], 1));
  assert.ok(!ifMatchOk(['*'], undefined));
  assert.ok(!ifMatchOk([], 1), 'an unparseable If-Match never matches');
});

test('policy, contract and ops logical checks', () => {
  assert.equal(
    code(() => checkPolicy({ ...policy, enforcement_mode: 'REPUBLISH_PASS_ONLY' })),
    'BLESSED_TOPIC_REQUIRED',
  );
  assert.equal(
    code(() => checkPolicy({ ...policy, enforcement_mode: 'REPUBLISH_PASS_ONLY', blessed_topic: 'b' })),
    undefined,
  );
  assert.equal(
    code(() => checkContract({ contract_id: 'dc:a:1', fields: [{ path: 'a', minimum: 2, maximum: 1 }] })),
    'INVALID_CONTRACT',
  );
  assert.equal(
    code(() => checkContract({ contract_id: 'dc:a:1', fields: [{ path: 'a' }, { path: 'a' }] })),
    'INVALID_CONTRACT',
  );
  assert.equal(
    code(() => checkContract({ contract_id: 'dc:a:1', fields: [{ path: 'a', min_length: 1, max_length: 2 }] })),
    undefined,
  );
  for (const pattern of ['(?=a)a', '(a)\\1', '(?<!x)y', '[']) {
    assert.equal(
      code(() => checkContract({ contract_id: 'dc:a:1', fields: [{ path: 'a', pattern }] })),
      'INVALID_CONTRACT',
      `${pattern} is refused: RE2 cannot run it`,
    );
  }
  // Catastrophic on V8, linear on RE2: accepted, because the gate runs it on RE2.
  assert.equal(
    code(() => checkContract({ contract_id: 'dc:a:1', fields: [{ path: 'a', pattern: '^(a+)+$' }] })),
    undefined,
  );
  const ops = (o: object) => ({ actions_paused: false, disabled_gates: [], ...o }) as unknown as DatasetOpsToggles;
  assert.equal(
    code(() => checkDatasetOps(ops({ disabled_gates: ['RESOLUTION'] }), policy)),
    'INVALID_OPS_TOGGLE',
  );
  assert.equal(
    code(() => checkDatasetOps(ops({ mode_override: 'REPUBLISH_PASS_ONLY' }), policy)),
    'BLESSED_TOPIC_REQUIRED',
  );
  assert.equal(
    code(() => checkDatasetOps(ops({ disabled_gates: ['PII'] }), policy)),
    undefined,
  );
});
