/** Runs the compiled bin (`node bin/signal-factory.js validate`), as users and scripts do. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTRACT, ORDER_SCHEMA, order, policy } from './fixtures.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sf-validate-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const { version, updated_at, updated_by, ...policyInput } = policy();
const pol = file('policy.json', policyInput);
const sch = file('schema.json', ORDER_SCHEMA);
const { created_at, created_by, ...contractInput } = CONTRACT;
const con = file('contract.json', contractInput);
const bad = order();
delete bad.customer_id;

function validate(args: string[], input?: string) {
  return spawnSync(process.execPath, ['bin/signal-factory.js', 'validate', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
  });
}
const base = ['--policy', pol, '--schema', sch, '--contract', con, '--topic', 'raw.orders.events'];

test('validate: exit 0 when every record passes, one evidence line per input line', () => {
  const r = validate([...base, file('ok.ndjson', `${JSON.stringify(order())}\n${JSON.stringify(order(1))}\n`)]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((e) => e.validation.result),
    ['PASS', 'PASS'],
  );
  assert.deepEqual(
    lines.map((e) => e.source.offset),
    [0, 1],
  );
});

test('validate: exit 1 when any record fails (stdin), evidence in input order', () => {
  const r = validate(base, `${JSON.stringify(order())}\n${JSON.stringify(bad)}\nnot json\n`);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((e) => e.validation.reason_codes),
    [[], ['MISSING_FIELD:customer_id'], ['INVALID_JSON']],
  );
});

test('validate: exit 2 for usage and configuration errors, with a message', () => {
  for (const args of [
    [],
    ['--policy', join(dir, 'missing.json')],
    ['--policy', file('bad.json', { dataset_urn: 'nope' })],
    ['--policy', pol],
    ['--bogus'],
  ]) {
    const r = validate(args, '');
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /signal-factory validate: /);
  }
});

test('validate: --help prints the options', () => {
  const r = validate(['--help']);
  assert.equal(r.status, 0);
  for (const o of ['--policy', '--schema', '--contract', '--topic']) assert.ok(r.stdout.includes(o));
});
