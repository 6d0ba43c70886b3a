import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DocumentError } from '../../../src/common/documents.js';
import { decide, diffLines, loadDesired, toDesired } from '../../../src/control-plane/apply.js';

const urn = 'urn:dp:a:b';
const policy = {
  dataset_urn: urn,
  enforcement_mode: 'ALERT_ONLY',
  pii_policy: 'DETECT',
  owners: ['t'],
  tier: 'TIER_1',
  freshness_slo_sec: 1,
  volume_rpm_expected: 1,
};

test('documents map to API paths and bodies', () => {
  assert.equal(toDesired({ kind: 'Policy', spec: policy }, 'f').path, '/v1/datasets/urn%3Adp%3Aa%3Ab/policy');
  const ops = toDesired({ kind: 'Ops', spec: { dataset_urn: urn, actions_paused: true, disabled_gates: [] } }, 'f');
  assert.deepEqual(
    [ops.path, ops.body],
    ['/v1/datasets/urn%3Adp%3Aa%3Ab/ops', { actions_paused: true, disabled_gates: [] }],
  );
  assert.equal(toDesired({ kind: 'Ops', spec: { safe_mode: true } }, 'f').path, '/v1/ops/global');
  assert.throws(() => toDesired({ kind: 'Nope', spec: {} }, 'f'), DocumentError);
  assert.throws(
    () => toDesired({ kind: 'Policy', spec: { ...policy, tier: 'X' } }, 'f'),
    /Policy spec invalid: \/tier must be one of TIER_1, TIER_2, TIER_3/,
  );
});

test('diff lines and decisions', () => {
  assert.deepEqual(diffLines({ ...policy, version: 3, updated_at: 'x' }, { ...policy, tier: 'TIER_2' }), [
    '    ~ tier: "TIER_1" -> "TIER_2"',
  ]);
  assert.deepEqual(diffLines({ a: 1, b: 2 }, { b: 2, c: 3 }), ['    - a: 1', '    + c: 3']);
  // A deprecated contract applied again is unchanged, not "immutable": deprecation is the server's.
  const contractSpec = { contract_id: 'dc:a:1', fields: [{ path: 'x' }] };
  const deprecated = { ...contractSpec, version: 1, deprecated_at: '2026-01-01T00:00:00.000Z', deprecated_by: 'a' };
  assert.deepEqual(diffLines(deprecated, contractSpec), []);
  const d = toDesired({ kind: 'Policy', spec: policy }, 'f');
  assert.equal(decide(d, undefined).action, 'create');
  assert.equal(decide(d, { status: 200, etag: '"2"', body: { ...policy, version: 2 } }).action, 'unchanged');
  const upd = decide(d, { status: 200, etag: '"2"', body: { ...policy, tier: 'TIER_3', version: 2 } });
  assert.deepEqual([upd.action, upd.etag], ['update', '"2"']);
  const c = toDesired({ kind: 'Contract', spec: { contract_id: 'dc:a:1', fields: [{ path: 'x' }] } }, 'f');
  assert.equal(
    decide(c, { status: 200, etag: undefined, body: { contract_id: 'dc:a:1', fields: [] } }).action,
    'immutable',
  );
  const o = toDesired({ kind: 'Ops', spec: { safe_mode: false } }, 'f');
  assert.equal(decide(o, { status: 200, etag: '"0"', body: { safe_mode: false, version: 0 } }).action, 'create');
});

test('loadDesired reads YAML multi-docs and JSON, orders by dependency, rejects duplicates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-apply-unit-'));
  try {
    writeFileSync(
      join(dir, 'a.yaml'),
      `kind: Policy\nspec: ${JSON.stringify(policy)}\n---\nkind: Ops\nspec: {safe_mode: true}\n`,
    );
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify([{ kind: 'Contract', spec: { contract_id: 'dc:a:1', fields: [{ path: 'x' }] } }]),
    );
    writeFileSync(join(dir, 'ignored.txt'), 'x');
    assert.deepEqual(
      loadDesired(dir).map((d) => d.kind),
      ['Contract', 'Policy', 'Ops'],
    );
    writeFileSync(join(dir, 'c.yaml'), `kind: Policy\nspec: ${JSON.stringify(policy)}\n`);
    assert.throws(() => loadDesired(dir), /declared twice/);
    assert.throws(() => loadDesired(join(dir, 'missing')), DocumentError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
