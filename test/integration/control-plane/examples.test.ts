/**
 * Every file under examples/ is exercised the way the README tells a user to use it: apply
 * documents through `signal-factory apply` (dry run, then for real) against a real control plane
 * process that checks schema ids in the stack's Glue registry; JSON Schemas and NDJSON records
 * through `signal-factory validate`. A file that neither command would take fails the test.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readDocuments } from '../../../src/common/documents.js';
import { REPO_ROOT } from '../../../src/dev/services.js';
import { startControlPlane } from '../../helpers/stack.js';

const BIN = resolve(REPO_ROOT, 'bin/signal-factory.js');
const EXAMPLES = join(REPO_ROOT, 'examples');
const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

test('examples: every file is accepted by apply or validate, as the README says', { timeout: 120_000 }, async (t) => {
  const files = walk(EXAMPLES);
  const documents = files.filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'));
  const schemas = files.filter((f) => f.endsWith('.schema.json'));
  const records = files.filter((f) => f.endsWith('.ndjson'));
  const unused = files.filter((f) => ![...documents, ...schemas, ...records].includes(f));
  assert.deepEqual(unused, [], 'every example file is one apply or validate takes');
  assert.ok(documents.length >= 3 && schemas.length >= 1 && records.length >= 2);

  const cp = await startControlPlane(t);
  // No SF_CONTROL_PLANE_TOKEN: apply mints a development token from SF_AUTH_JWT_SECRET (README).
  const env = { SF_CONTROL_PLANE_URL: cp.url, SF_CONTROL_PLANE_TOKEN: '' };
  const dry = await cli(['apply', '-f', 'examples', '--dry-run'], env);
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, / 0 refused \(dry run: nothing stored\)/);

  const applied = await cli(['apply', '-f', 'examples'], env);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  for (const f of documents) {
    for (const doc of readDocuments(f) as { kind: string; spec: Record<string, unknown> }[]) {
      const name = doc.kind === 'Contract' ? doc.spec.contract_id : (doc.spec.dataset_urn ?? 'global');
      assert.match(applied.stdout, new RegExp(`applied ${doc.kind} ${name}: 201`), `${relative(REPO_ROOT, f)} applied`);
    }
  }
  const again = await cli(['apply', '-f', 'examples'], env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /^0 to change, \d+ unchanged, 0 refused$/m);

  // The records, through validate with the example policy, contract and schema.
  const dir = join(EXAMPLES, 'orders');
  const args = [
    'validate',
    '--policy',
    join(dir, 'policy.yaml'),
    '--contract',
    join(dir, 'contract.yaml'),
    '--schema',
    join(dir, 'orders.created.schema.json'),
    '--topic',
    'raw.orders.events',
  ];
  const valid = await cli([...args, join(dir, 'valid.ndjson')]);
  assert.equal(valid.code, 0, valid.stderr);
  assert.equal(JSON.parse(valid.stdout).validation.result, 'PASS');
  const invalid = await cli([...args, join(dir, 'invalid-missing-customer.ndjson')]);
  assert.equal(invalid.code, 1, invalid.stderr);
  const ev = JSON.parse(invalid.stdout);
  assert.deepEqual(
    [ev.validation.failed_gates, ev.validation.reason_codes],
    [['CONTRACT'], ['MISSING_FIELD:customer_id']],
  );
  assert.deepEqual(ev.enforcement, { mode: 'QUARANTINE_ON_FAIL', action: 'WOULD_QUARANTINE' });
});
