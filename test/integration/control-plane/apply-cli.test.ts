/** `signal-factory apply` and `control-plane token` as real processes against a running control plane. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
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
  assert.match(dry.stdout, /checked Contract dc:orders.created:1: the server would answer 201/);
  assert.match(
    dry.stdout,
    /checked Policy urn:dp:orders:created: the server would answer 201 \(checked without contract_id/,
  );
  assert.match(dry.stdout, /4 to change, 0 unchanged, 0 refused \(dry run: nothing stored\)/);
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
  assert.match(refused.stderr, /Contract dc:orders.created:1 \(.*contract.json#1\): \[CONTRACT_IMMUTABLE\]/);

  const other = await cli(['apply', '-f', join(dir, 'orders.yaml')], {
    ...env,
    SF_CONTROL_PLANE_TOKEN: (
      await cli(['control-plane', 'token', '--sub', 'x', '--teams', 'other'], { SF_AUTH_JWT_SECRET: SECRET })
    ).stdout.trim(),
  });
  assert.equal(other.code, 1, 'a refused change (403) is exit 1');
  assert.match(other.stderr, /Policy urn:dp:orders:created \(.*orders.yaml#1\): \[FORBIDDEN\] .* \(HTTP 403\)/);

  writeFileSync(join(dir, 'bad.yaml'), 'kind: Policy\nspec: {dataset_urn: nope}');
  const bad = await cli(['apply', '-f', join(dir, 'bad.yaml')], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^signal-factory apply: \[CONFIG_INVALID\] .*bad.yaml#1: Policy spec invalid: /);
  assert.equal((await cli(['apply'], env)).code, 2);
  assert.equal((await cli(['apply', '--help'], env)).code, 0);
});

test("apply: any refusal is exit 1 with the server's code, also in a dry run; nothing is stored", async (t) => {
  const cp = await startApp(t);
  const dir = mkdtempSync(join(tmpdir(), 'sf-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { SF_CONTROL_PLANE_URL: cp.url, SF_CONTROL_PLANE_TOKEN: await cp.token({ sub: 'a', roles: ['admin'] }) };
  const urn = 'urn:dp:nopolicy:x';
  // A resolution for a dataset that has no policy: the server answers 404 DATASET_NOT_FOUND.
  writeFileSync(
    join(dir, 'resolution.yaml'),
    `kind: Resolution\nspec:\n  dataset_urn: ${urn}\n  rules:\n    - {source_type: TOPIC, source_value: raw.x, dataset_urn: "${urn}", resolution_confidence: HIGH}\n`,
  );
  for (const extra of [['--dry-run'], []]) {
    const r = await cli(['apply', '-f', join(dir, 'resolution.yaml'), ...extra], env);
    assert.equal(r.code, 1, `${extra.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /Resolution urn:dp:nopolicy:x \(.*resolution.yaml#1\): \[DATASET_NOT_FOUND\] .*\(HTTP 404\)/,
    );
    assert.doesNotMatch(r.stdout, /applied/);
  }
  // A change the server refuses on content (422): the dry run says so instead of "0 refused".
  writeFileSync(
    join(dir, 'republish.yaml'),
    `kind: Policy\nspec: ${JSON.stringify(policy(URN, { enforcement_mode: 'REPUBLISH_PASS_ONLY' }))}`,
  );
  const dry = await cli(['apply', '-f', join(dir, 'republish.yaml'), '--dry-run'], env);
  assert.equal(dry.code, 1);
  assert.match(
    dry.stderr,
    /\[BLESSED_TOPIC_REQUIRED\] enforcement_mode REPUBLISH_PASS_ONLY needs blessed_topic \(HTTP 422\)/,
  );
  assert.match(dry.stdout, /1 to change, 0 unchanged, 1 refused \(dry run: nothing stored\)/);
  assert.equal((await cp.call('GET', urnPath(URN), env.SF_CONTROL_PLANE_TOKEN)).status, 404, 'nothing stored');
  assert.equal((await cp.call('GET', urnPath(urn, 'resolution'), env.SF_CONTROL_PLANE_TOKEN)).status, 404);
});

test('apply: a server that is not the control plane is a failure, never "applied"', async (t) => {
  // Any HTTP server: 404 with a body that is not the control plane's error envelope.
  const other = createServer((req, res) => {
    res.writeHead(req.method === 'GET' && req.url === '/v1/ops/global' ? 200 : 404, { 'content-type': 'text/html' });
    res.end('<html>not here</html>');
  });
  other.listen(0, '127.0.0.1');
  await once(other, 'listening');
  t.after(() => other.close());
  const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'sf-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'p.yaml'), `kind: Policy\nspec: ${JSON.stringify(policy(URN))}`);
  writeFileSync(join(dir, 'ops.yaml'), 'kind: Ops\nspec: {safe_mode: true}\n');
  for (const f of ['p.yaml', 'ops.yaml']) {
    for (const extra of [['--dry-run'], []]) {
      const r = await cli(['apply', '-f', join(dir, f), '--url', url, '--token', 't', ...extra], {});
      assert.equal(r.code, 1, `${f} ${extra.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /\[NOT_CONTROL_PLANE\] HTTP (404|200) from http:\/\/127\.0\.0\.1:\d+ /);
      assert.doesNotMatch(r.stdout, /applied/);
    }
  }
  const down = await cli(['apply', '-f', join(dir, 'p.yaml'), '--url', 'http://127.0.0.1:1', '--token', 't'], {});
  assert.equal(down.code, 1);
  assert.match(down.stderr, /\[UNREACHABLE\] cannot reach http:\/\/127\.0\.0\.1:1/);
});

test('apply: without a token, mints a development one from SF_AUTH_JWT_SECRET (as the README says)', async (t) => {
  const cp = await startApp(t);
  const dir = mkdtempSync(join(tmpdir(), 'sf-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ops.yaml'), 'kind: Ops\nspec: {safe_mode: true}\n');
  const r = await cli(['apply', '-f', join(dir, 'ops.yaml')], {
    SF_CONTROL_PLANE_URL: cp.url,
    SF_CONTROL_PLANE_TOKEN: '',
    SF_AUTH_JWT_SECRET: SECRET,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied Ops global: 201 version 1/);
  const audit = await cp.call('GET', '/v1/audit', await cp.token({ sub: 'r', roles: ['admin'] }));
  assert.match(JSON.stringify(audit.body), /"actor":"apply:[^"]+"/);
});
