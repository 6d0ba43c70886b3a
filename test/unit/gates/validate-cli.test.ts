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

/** Policy and contract as apply documents in one YAML file each. */
const yamlDoc = (kind: string, spec: unknown) => `kind: ${kind}\nspec: ${JSON.stringify(spec)}\n`;
const { schema_id: _s, contract_id: _c, ...bare } = policyInput;
const polNoRefs = file('policy-bare.json', bare);

test('validate: a broken schema, contract or policy is a configuration error (exit 2) naming the file and the problem', () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['--policy', polNoRefs, '--schema', file('objekt.json', { type: 'objekt', required: 'a' })],
      /\[CONFIG_INVALID\] schema .*objekt\.json is invalid: \[SCHEMA_DEFINITION_INVALID\] \/required must be array; \/type must be one of array, boolean, integer, null, number, object, string\n/,
    ],
    [
      [
        '--policy',
        polNoRefs,
        '--schema',
        file('unknown-type.avsc', { type: 'record', name: 'o', fields: [{ name: 'a', type: 'strang' }] }),
      ],
      /\[CONFIG_INVALID\] schema .*unknown-type\.avsc is invalid: \[SCHEMA_DEFINITION_INVALID\] undefined type name: strang/,
    ],
    [
      [
        '--policy',
        polNoRefs,
        '--contract',
        file('bad-pattern.json', { ...contractInput, fields: [{ path: 'order_id', type: 'string', pattern: '(a+' }] }),
      ],
      /\[CONFIG_INVALID\] contract .*bad-pattern\.json is invalid: \[INVALID_CONTRACT\] .*\/fields\/0\/pattern/,
    ],
    [
      [
        '--policy',
        pol,
        '--schema',
        sch,
        '--contract',
        file('other-id.json', { ...contractInput, contract_id: 'dc:other:1' }),
      ],
      /\[CONFIG_INVALID\] contract .*other-id\.json is dc:other:1, but policy .*policy\.json names contract dc:orders\.created:3/,
    ],
    [
      ['--policy', file('republish.json', { ...bare, enforcement_mode: 'REPUBLISH_PASS_ONLY' })],
      /\[CONFIG_INVALID\] policy .*republish\.json is invalid: \[BLESSED_TOPIC_REQUIRED\]/,
    ],
    [
      ['--policy', file('tier.json', { ...bare, tier: 'TIER_9' })],
      /\[CONFIG_INVALID\] policy .*tier\.json is invalid: \/tier must be one of TIER_1, TIER_2, TIER_3\n/,
    ],
    [
      ['--policy', file('contract-as-policy.yaml', yamlDoc('Contract', contractInput))],
      /\[CONFIG_INVALID\] .*contract-as-policy\.yaml holds no Policy document \(found Contract\)/,
    ],
    [['--policy', file('broken.yaml', 'kind: [')], /\[CONFIG_INVALID\] .*broken\.yaml is not valid YAML/],
  ];
  for (const [args, message] of cases) {
    const r = validate(args, `${JSON.stringify(order())}\n`);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^signal-factory validate: \[CONFIG_INVALID\] /);
    assert.equal(r.stdout, '', 'no evidence for a configuration error');
  }
});

test('validate: YAML apply documents are read as apply reads them', () => {
  const yPol = file('policy.yaml', yamlDoc('Policy', policyInput));
  const yCon = file('contract.yaml', yamlDoc('Contract', contractInput));
  const ySch = file('schema.yaml', `# a JSON Schema in YAML\n${JSON.stringify(ORDER_SCHEMA)}\n`);
  const r = validate(
    ['--policy', yPol, '--schema', ySch, '--contract', yCon, '--topic', 't'],
    `${JSON.stringify(order())}\n`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).validation.result, 'PASS');
});

test('validate: a summary on stderr, also for empty input', () => {
  const empty = validate(base, '');
  assert.equal(empty.status, 0);
  assert.equal(empty.stdout, '');
  assert.equal(empty.stderr, 'signal-factory validate: 0 records (the input is empty)\n');
  const mixed = validate(
    base,
    `${JSON.stringify(order())}\n${JSON.stringify(bad)}\n${JSON.stringify(bad)}\nnot json\n`,
  );
  assert.equal(mixed.status, 1);
  assert.match(
    mixed.stderr,
    /signal-factory validate: 4 records: 1 PASS, 3 FAIL; top reasons: MISSING_FIELD:customer_id \(2\), INVALID_JSON \(1\)\n$/,
  );
});

test('validate: enforcement.action says what would happen, since nothing is done', () => {
  const r = validate(base, `${JSON.stringify(order())}\n${JSON.stringify(bad)}\n`);
  const [ok, failed] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(ok.enforcement, { mode: 'QUARANTINE_ON_FAIL', action: 'NONE' });
  assert.deepEqual(failed.enforcement, { mode: 'QUARANTINE_ON_FAIL', action: 'WOULD_QUARANTINE' });
  const blessed = file('blessed.json', { ...policyInput, enforcement_mode: 'REPUBLISH_PASS_ONLY', blessed_topic: 'b' });
  const rp = validate(
    ['--policy', blessed, '--schema', sch, '--contract', con, '--topic', 'raw.orders.events'],
    `${JSON.stringify(order())}\n`,
  );
  assert.deepEqual(JSON.parse(rp.stdout).enforcement, { mode: 'REPUBLISH_PASS_ONLY', action: 'WOULD_REPUBLISH' });
});
