/** `signal-factory apply` and `control-plane token` as real processes against a running control plane. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { contract, policy, SECRET, startApp, urnPath } from './helpers.js';

const BIN = resolve('bin/signal-factory.js');
const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string>) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const URN = 'urn:dp:orders:created';

test('apply: dry-run diff, apply, idempotent re-apply, exit codes', async (t) => {
  const cp = await startApp(t);
  const dir = mkdtempSync(join(tmpdir(), 'sf-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const minted = await cli(['control-plane', 'token', '--sub', 'ci', '--teams', 'orders-team'], {
    SF_AUTH_JWT_SECRET: SECRET,
  });
  assert.equal(minted.code, 0, minted.stderr);
  const env = { SF_CONTROL_PLANE_URL: cp.url, SF_CONTROL_PLANE_TOKEN: minted.stdout.trim() };

  writeFileSync(
    join(dir, 'orders.yaml'),
    [
      `kind: Policy\nspec: ${JSON.stringify(policy(URN, { contract_id: 'dc:orders.created:1' }))}`,
      `kind: Resolution\nspec:\n  dataset_urn: ${URN}\n  rules:\n    - {source_type: TOPIC, source_value: raw.orders.events, dataset_urn: "${URN}", resolution_confidence: HIGH}`,
      `kind: Ops\nspec: {dataset_urn: "${URN}", actions_paused: true, disabled_gates: []}`,
    ].join('\n---\n'),
  );
  writeFileSync(
    join(dir, 'contract.json'),
    JSON.stringify({ kind: 'Contract', spec: contract('dc:orders.created:1') }),
  );

  const dry = await cli(['apply', '-f', dir, '--dry-run'], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /\+ Contract dc:orders.created:1 create/);
  assert.match(dry.stdout, /\+ Policy urn:dp:orders:created create\n {4}\+ contract_id: "dc:orders.created:1"/);
  assert.match(dry.stdout, /4 to change, 0 unchanged, 0 refused/);
  assert.equal(
    (await cp.call('GET', urnPath(URN), await cp.token({ sub: 'r' }))).status,
    404,
    'dry-run changes nothing',
  );

  const applied = await cli(['apply', '-f', dir], env);
  assert.equal(applied.code, 0, applied.stderr + applied.stdout);
  assert.match(applied.stdout, /applied Policy urn:dp:orders:created: 201 version 1/);
  const again = await cli(['apply', '-f', dir], env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /0 to change, 4 unchanged/);

  writeFileSync(join(dir, 'orders.yaml'), `kind: Policy\nspec: ${JSON.stringify(policy(URN, { tier: 'TIER_2' }))}`);
  const diff = await cli(['apply', '-f', join(dir, 'orders.yaml'), '--dry-run'], env);
  assert.match(diff.stdout, /~ Policy urn:dp:orders:created update \(at version 1\)/);
  assert.match(diff.stdout, / {4}- contract_id: "dc:orders.created:1"/);
  assert.match(diff.stdout, / {4}~ tier: "TIER_1" -> "TIER_2"/);

  writeFileSync(
    join(dir, 'contract.json'),
    JSON.stringify({ kind: 'Contract', spec: contract('dc:orders.created:1', { description: 'x' }) }),
  );
  const refused = await cli(['apply', '-f', join(dir, 'contract.json')], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /! Contract dc:orders.created:1 immutable/);

  const other = await cli(['apply', '-f', join(dir, 'orders.yaml')], {
    ...env,
    SF_CONTROL_PLANE_TOKEN: (
      await cli(['control-plane', 'token', '--sub', 'x', '--teams', 'other'], { SF_AUTH_JWT_SECRET: SECRET })
    ).stdout.trim(),
  });
  assert.equal(other.code, 1, 'a refused change (403) is exit 1');
  assert.match(other.stderr, /403 FORBIDDEN/);

  writeFileSync(join(dir, 'bad.yaml'), 'kind: Policy\nspec: {dataset_urn: nope}');
  const bad = await cli(['apply', '-f', join(dir, 'bad.yaml')], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad.yaml#1: Policy spec invalid/);
  assert.equal((await cli(['apply'], env)).code, 2);
  assert.equal((await cli(['apply', '--help'], env)).code, 0);
});
