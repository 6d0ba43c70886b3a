/**
 * Token matrix against real control plane processes over HTTP (issue 9, item 8).
 *
 * Production mode: SF_AUTH_JWKS_URL points at a real JWKS endpoint (generated RSA and EC keys),
 * with SF_AUTH_ISSUER and SF_AUTH_AUDIENCE set, and SF_AUTH_JWT_SECRET still in the environment
 * (from .stack/env) to prove a shared-secret token is refused once JWKS is configured.
 * Development mode: HS256 with the shared secret, issuer and audience set.
 * Every bad token must answer 401 UNAUTHENTICATED on a read and on a write, and change nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair } from 'jose';
import { stackEnv, startControlPlane } from '../../helpers/stack.js';
import { client, type Jwks, secretKey, sign, startJwks, tally, tamper, unsecured } from './helpers.js';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'signal-factory-control-plane';
const WRITE = { path: '/v1/ops/global', body: { safe_mode: true } };

interface Case {
  name: string;
  authorization: string | undefined;
}

async function productionCases(jwks: Jwks, devSecret: string): Promise<Case[]> {
  const ok = { sub: 'mallory', roles: ['admin'], iss: ISSUER, aud: AUDIENCE };
  const good = await sign(jwks.rsa, ok);
  const other = await generateKeyPair('RS256', { extractable: true });
  const bearer = (t: string) => `Bearer ${t}`;
  return [
    { name: 'missing Authorization', authorization: undefined },
    { name: 'empty Authorization', authorization: '' },
    { name: 'Bearer without token', authorization: 'Bearer ' },
    { name: 'Basic scheme', authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    { name: 'token without scheme', authorization: good },
    { name: 'malformed: one segment', authorization: bearer('abc') },
    { name: 'malformed: two segments', authorization: bearer(good.split('.').slice(0, 2).join('.')) },
    { name: 'malformed: garbage base64', authorization: bearer('!!!.@@@.###') },
    {
      name: 'malformed: header not JSON',
      authorization: bearer(`bm90IGpzb24.${good.split('.')[1]}.${good.split('.')[2]}`),
    },
    { name: 'expired', authorization: bearer(await sign(jwks.rsa, { ...ok, exp: -120 })) },
    { name: 'not yet valid (nbf +1h)', authorization: bearer(await sign(jwks.rsa, { ...ok, nbf: 3600 })) },
    { name: 'no exp claim', authorization: bearer(await sign(jwks.rsa, { ...ok, exp: null })) },
    {
      name: 'wrong signature (other RSA key, same kid)',
      authorization: bearer(await sign({ alg: 'RS256', kid: jwks.rsa.kid, privateKey: other.privateKey }, ok)),
    },
    {
      name: 'tampered payload (roles edited, signature kept)',
      authorization: bearer(tamper(await sign(jwks.rsa, { ...ok, roles: [] }), { roles: ['admin'] })),
    },
    { name: 'signature stripped', authorization: bearer(`${good.split('.').slice(0, 2).join('.')}.`) },
    { name: 'alg=none', authorization: bearer(unsecured(ok)) },
    { name: 'alg=none with a known kid', authorization: bearer(unsecured(ok, { kid: jwks.rsa.kid })) },
    { name: 'wrong audience', authorization: bearer(await sign(jwks.rsa, { ...ok, aud: 'another-service' })) },
    { name: 'no audience', authorization: bearer(await sign(jwks.rsa, { ...ok, aud: undefined })) },
    { name: 'wrong issuer', authorization: bearer(await sign(jwks.rsa, { ...ok, iss: 'https://evil.example/' })) },
    { name: 'no issuer', authorization: bearer(await sign(jwks.rsa, { ...ok, iss: undefined })) },
    { name: 'unknown kid', authorization: bearer(await sign({ ...jwks.rsa, kid: 'rotated-away' }, ok)) },
    {
      name: 'HS256 with the dev secret while JWKS is configured',
      authorization: bearer(await sign(secretKey(devSecret), ok)),
    },
    {
      name: 'HS256 keyed with the public JWK (key confusion)',
      authorization: bearer(await sign({ ...secretKey(JSON.stringify(jwks.rsa.publicJwk)), kid: jwks.rsa.kid }, ok)),
    },
    { name: 'sub missing', authorization: bearer(await sign(jwks.rsa, { ...ok, sub: undefined })) },
    { name: 'sub not a string', authorization: bearer(await sign(jwks.rsa, { ...ok, sub: 42 })) },
    { name: 'teams not an array', authorization: bearer(await sign(jwks.rsa, { ...ok, teams: 'orders-team' })) },
    { name: 'roles not an array', authorization: bearer(await sign(jwks.rsa, { ...ok, roles: 'admin' })) },
  ];
}

async function expect401(
  call: ReturnType<typeof client>,
  cases: Case[],
): Promise<{ statuses: number[]; failures: string[] }> {
  const statuses: number[] = [];
  const failures: string[] = [];
  for (const c of cases) {
    const headers: Record<string, string> = c.authorization === undefined ? {} : { authorization: c.authorization };
    const read = await call('GET', '/v1/datasets', undefined, undefined, headers);
    const write = await call('PUT', WRITE.path, undefined, WRITE.body, headers);
    for (const [what, r] of [
      ['GET', read],
      ['PUT', write],
    ] as const) {
      statuses.push(r.status);
      if (r.status !== 401 || r.body?.error?.code !== 'UNAUTHENTICATED') {
        failures.push(`${c.name} (${what}): ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
  }
  return { statuses, failures };
}

test('production mode (JWKS + issuer + audience): every bad token is 401 UNAUTHENTICATED', async (t) => {
  const { secret } = stackEnv();
  const jwks = await startJwks(t);
  const cp = await startControlPlane(t, {
    SF_AUTH_JWKS_URL: jwks.url,
    SF_AUTH_ISSUER: ISSUER,
    SF_AUTH_AUDIENCE: AUDIENCE,
    SF_SCHEMA_CHECK: 'off',
  });
  const call = client(cp.url);
  const cases = await productionCases(jwks, secret);
  const { statuses, failures } = await expect401(call, cases);
  assert.deepEqual(failures, [], 'every bad token must be refused with 401 UNAUTHENTICATED');

  // Nothing got through: the global toggles were never written.
  const rsaAdmin = await sign(jwks.rsa, { sub: 'root', roles: ['admin'], iss: ISSUER, aud: AUDIENCE });
  const ecAdmin = await sign(jwks.ec, { sub: 'root-ec', roles: ['admin'], iss: ISSUER, aud: AUDIENCE });
  const global = await call('GET', '/v1/ops/global', rsaAdmin);
  assert.equal(global.status, 200);
  assert.equal(global.body.version, 0, 'no rejected write reached the store');
  assert.equal((await call('GET', '/v1/audit', rsaAdmin)).body.items.length, 0);

  // The valid tokens work with either key type, and the audit names their sub.
  assert.equal((await call('GET', '/v1/datasets', rsaAdmin)).status, 200);
  assert.equal((await call('PUT', WRITE.path, ecAdmin, WRITE.body)).status, 201);
  assert.equal((await call('GET', '/v1/audit', rsaAdmin)).body.items[0].actor, 'root-ec');

  t.diagnostic(
    `token cases: ${cases.length}, requests: ${statuses.length} (GET and PUT each), statuses: ${tally(statuses)}`,
  );
  t.diagnostic(`valid RS256 and ES256 tokens accepted; JWKS fetched ${jwks.fetches()} time(s)`);
});

test('development mode (HS256 + issuer + audience): bad tokens are 401, asymmetric tokens refused', async (t) => {
  const { secret } = stackEnv();
  const cp = await startControlPlane(t, { SF_AUTH_ISSUER: ISSUER, SF_AUTH_AUDIENCE: AUDIENCE, SF_SCHEMA_CHECK: 'off' });
  const call = client(cp.url);
  const key = secretKey(secret);
  const ok = { sub: 'mallory', roles: ['admin'], iss: ISSUER, aud: AUDIENCE };
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const bearer = (tok: string) => `Bearer ${tok}`;
  const cases: Case[] = [
    { name: 'wrong secret', authorization: bearer(await sign(secretKey('not-the-secret-0123456789'), ok)) },
    { name: 'expired', authorization: bearer(await sign(key, { ...ok, exp: -120 })) },
    { name: 'not yet valid', authorization: bearer(await sign(key, { ...ok, nbf: 3600 })) },
    { name: 'no exp claim', authorization: bearer(await sign(key, { ...ok, exp: null })) },
    { name: 'wrong audience', authorization: bearer(await sign(key, { ...ok, aud: 'another-service' })) },
    { name: 'wrong issuer', authorization: bearer(await sign(key, { ...ok, iss: 'https://evil.example/' })) },
    { name: 'alg=none', authorization: bearer(unsecured(ok)) },
    { name: 'HS512 with the right secret', authorization: bearer(await sign({ ...key, alg: 'HS512' }, ok)) },
    {
      name: 'RS256 (not an accepted algorithm)',
      authorization: bearer(await sign({ alg: 'RS256', privateKey: rsa.privateKey }, ok)),
    },
    {
      name: 'tampered payload',
      authorization: bearer(tamper(await sign(key, { ...ok, roles: [] }), { roles: ['admin'] })),
    },
  ];
  const { statuses, failures } = await expect401(call, cases);
  assert.deepEqual(failures, []);
  const good = await sign(key, ok);
  assert.equal((await call('GET', '/v1/datasets', good)).status, 200);
  assert.equal((await call('GET', '/v1/ops/global', good)).body.version, 0, 'no rejected write reached the store');
  t.diagnostic(
    `token cases: ${cases.length}, requests: ${statuses.length}, statuses: ${tally(statuses)}; valid HS256 token accepted`,
  );
});

test('authorization: cross-team writes are 403 FORBIDDEN and change nothing; admin is allowed', async (t) => {
  const jwks = await startJwks(t);
  const cp = await startControlPlane(t, {
    SF_AUTH_JWKS_URL: jwks.url,
    SF_AUTH_ISSUER: ISSUER,
    SF_AUTH_AUDIENCE: AUDIENCE,
    SF_SCHEMA_CHECK: 'off',
  });
  const call = client(cp.url);
  const tok = (sub: string, teams: string[], roles: string[] = []) =>
    sign(jwks.rsa, { sub, teams, roles, iss: ISSUER, aud: AUDIENCE });
  const admin = await tok('root', [], ['admin']);
  const alice = await tok('alice', ['orders-team']);
  const bob = await tok('bob', ['payments-team']);
  const enforcer = await tok('enforcer', [], ['service']);
  const urn = 'urn:dp:orders:created';
  const path = (sub: string) => `/v1/datasets/${encodeURIComponent(urn)}/${sub}`;
  const pol = (over: Record<string, unknown> = {}) => ({
    dataset_urn: urn,
    enforcement_mode: 'QUARANTINE_ON_FAIL',
    pii_policy: 'BLOCK',
    owners: ['orders-team'],
    tier: 'TIER_1',
    freshness_slo_sec: 120,
    volume_rpm_expected: 1000,
    ...over,
  });
  const rules = {
    rules: [
      { source_type: 'TOPIC', source_value: 'raw.orders.events', dataset_urn: urn, resolution_confidence: 'HIGH' },
    ],
  };
  const ops = { actions_paused: true, disabled_gates: [] };

  assert.equal((await call('PUT', path('policy'), alice, pol())).status, 201, 'an owner team member creates');
  const denied: Array<[string, () => Promise<{ status: number; body: unknown }>]> = [
    ['bob updates orders policy', () => call('PUT', path('policy'), bob, pol({ tier: 'TIER_3' }))],
    ['bob takes the dataset over', () => call('PUT', path('policy'), bob, pol({ owners: ['payments-team'] }))],
    ['bob sets orders resolution', () => call('PUT', path('resolution'), bob, rules)],
    ['bob pauses orders actions', () => call('PUT', path('ops'), bob, ops)],
    [
      'alice hands orders to payments',
      () => call('PUT', path('policy'), alice, pol({ owners: ['orders-team', 'payments-team'] })),
    ],
    [
      'alice replaces owners with payments',
      () => call('PUT', path('policy'), alice, pol({ owners: ['payments-team'] })),
    ],
    [
      'alice creates a dataset for payments',
      () =>
        call('PUT', '/v1/datasets/urn%3Adp%3Apayments%3Asettled/policy', alice, {
          ...pol({ owners: ['payments-team'] }),
          dataset_urn: 'urn:dp:payments:settled',
        }),
    ],
    ['service token writes a policy', () => call('PUT', path('policy'), enforcer, pol({ tier: 'TIER_2' }))],
    [
      'service token creates a contract',
      () => call('PUT', '/v1/contracts/dc:x:1', enforcer, { contract_id: 'dc:x:1', fields: [{ path: 'a' }] }),
    ],
    ['non-admin sets global safe mode', () => call('PUT', '/v1/ops/global', alice, { safe_mode: true })],
  ];
  const failures: string[] = [];
  const statuses: number[] = [];
  for (const [name, p] of denied) {
    const r = (await p()) as { status: number; body: { error?: { code?: string } } };
    statuses.push(r.status);
    if (r.status !== 403 || r.body.error?.code !== 'FORBIDDEN')
      failures.push(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  assert.deepEqual(failures, []);

  const after = await call('GET', path('policy'), bob);
  assert.equal(after.body.version, 1, 'no denied write changed the policy');
  assert.deepEqual(after.body.owners, ['orders-team']);
  assert.equal((await call('GET', '/v1/datasets/urn%3Adp%3Apayments%3Asettled/policy', admin)).status, 404);
  assert.equal((await call('GET', '/v1/audit', admin)).body.items.length, 1, 'only the allowed create is audited');

  // Admin may do all of it; an owner may also remove teams and manage resolution and ops.
  const allowed: Array<[string, () => Promise<{ status: number }>]> = [
    [
      'admin hands orders to payments too',
      () => call('PUT', path('policy'), admin, pol({ owners: ['orders-team', 'payments-team'] })),
    ],
    [
      'bob (now an owner) updates',
      () => call('PUT', path('policy'), bob, pol({ owners: ['orders-team', 'payments-team'], tier: 'TIER_2' })),
    ],
    ['alice removes payments again', () => call('PUT', path('policy'), alice, pol({ tier: 'TIER_2' }))],
    ['alice sets resolution', () => call('PUT', path('resolution'), alice, rules)],
    ['alice pauses actions', () => call('PUT', path('ops'), alice, ops)],
    ['admin sets global safe mode', () => call('PUT', '/v1/ops/global', admin, { safe_mode: true })],
  ];
  const okStatuses: number[] = [];
  for (const [name, p] of allowed) {
    const r = await p();
    okStatuses.push(r.status);
    assert.ok(r.status === 200 || r.status === 201, `${name}: ${r.status}`);
  }
  assert.equal((await call('PUT', path('policy'), bob, pol({ tier: 'TIER_3' }))).status, 403, 'bob lost ownership');
  t.diagnostic(
    `denied writes: ${denied.length} (${tally(statuses)}); allowed writes: ${allowed.length} (${tally(okStatuses)})`,
  );
});
