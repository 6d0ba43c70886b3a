/**
 * Hostile requests against the real app over HTTP (issue 9, item 8): body size, content type,
 * deep nesting, huge arrays, prototype pollution, path traversal and odd ids, query abuse,
 * header abuse. Every answer must be a 4xx with the error envelope's stable code (never a 5xx),
 * and the server must stay healthy and answer quickly afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PARAM_LENGTH } from '../../../src/control-plane/app.js';
import { contract, policy, startApp } from '../control-plane/helpers.js';
import { type Res, send, tally } from './helpers.js';

const URN = 'urn:dp:orders:created';
const POLICY_PATH = `/v1/datasets/${encodeURIComponent(URN)}/policy`;

interface Probe {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  chunked?: boolean;
  noToken?: boolean;
  /** expected status, and code when the answer carries the error envelope */
  status: number | number[];
  code?: string;
}

async function run(base: string, token: string, probes: Probe[]) {
  const results: Array<{ probe: Probe; res: Res & { text: string; ms: number } }> = [];
  for (const probe of probes) {
    // The Node HTTP parser may answer 431/413 and close before the whole request is written: the
    // client then sees ECONNRESET instead of the answer, recorded as status 0.
    const res = await send(base, probe.method, probe.path, {
      token: probe.noToken ? undefined : token,
      body: probe.body,
      headers: probe.headers,
      chunked: probe.chunked,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') throw err;
      return { status: 0, headers: new Headers(), body: undefined, text: err.code, ms: 0 };
    });
    results.push({ probe, res });
  }
  const failures = results
    .filter(({ probe, res }) => {
      const statuses = Array.isArray(probe.status) ? probe.status : [probe.status];
      if (!statuses.includes(res.status)) return true;
      if (res.status >= 500) return true;
      return probe.code !== undefined && res.body?.error?.code !== probe.code;
    })
    .map(({ probe, res }) => `${probe.name}: ${res.status} ${res.text.slice(0, 160)}`);
  const slowest = results.reduce((a, b) => (b.res.ms > a.res.ms ? b : a));
  return { results, failures, slowest: `${slowest.probe.name} ${slowest.res.ms.toFixed(0)} ms` };
}

const nestObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const nestArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

test('body size and content type: 413 and 415 with stable codes', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const json = (v: unknown) => JSON.stringify(v);
  const body = (bytes: number) => json(policy(URN, { pad: 'x'.repeat(bytes) }));
  const probes: Probe[] = [
    {
      name: '1 MiB + 1 body',
      method: 'PUT',
      path: POLICY_PATH,
      body: body(1024 * 1024),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: '8 MiB body',
      method: 'PUT',
      path: POLICY_PATH,
      body: body(8 * 1024 * 1024),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: '2 MiB chunked body (no Content-Length)',
      method: 'PUT',
      path: POLICY_PATH,
      body: body(2 * 1024 * 1024),
      chunked: true,
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'oversized body without a token',
      method: 'PUT',
      path: POLICY_PATH,
      body: body(2 * 1024 * 1024),
      noToken: true,
      status: [401, 413],
    },
    ...[
      'text/plain',
      'text/csv',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/yaml',
    ].map(
      (ct): Probe => ({
        name: `content-type ${ct}`,
        method: 'PUT',
        path: POLICY_PATH,
        body: json(policy(URN)),
        headers: { 'content-type': ct },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      }),
    ),
    {
      name: 'empty JSON body',
      method: 'PUT',
      path: POLICY_PATH,
      body: '',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_REQUEST',
    },
    {
      name: 'truncated JSON',
      method: 'PUT',
      path: POLICY_PATH,
      body: '{"dataset_urn":',
      status: 400,
      code: 'MALFORMED_REQUEST',
    },
    {
      name: 'JSON with a BOM and NUL bytes',
      method: 'PUT',
      path: POLICY_PATH,
      body: '\ufeff{"a":"\u0000"}',
      status: 400,
    },
    {
      name: 'invalid UTF-8 body',
      method: 'PUT',
      path: POLICY_PATH,
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      status: 400,
    },
  ];
  const { results, failures, slowest } = await run(cp.url, admin, probes);
  assert.deepEqual(failures, []);

  // The right media type with parameters and any letter case is accepted.
  const accepted = await send(cp.url, 'PUT', POLICY_PATH, {
    token: admin,
    body: json(policy(URN)),
    headers: { 'content-type': 'Application/JSON; charset=utf-8' },
  });
  assert.equal(accepted.status, 201, accepted.text);
  assert.equal((await cp.store.audit({ limit: 10 })).items.length, 1, 'only the accepted write is stored');
  t.diagnostic(`probes: ${probes.length}, statuses: ${tally(results.map((r) => r.res.status))}; slowest: ${slowest}`);
});

test('deep nesting, huge arrays and prototype pollution: 400, never 500, answered fast', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const json = (v: unknown) => JSON.stringify(v);
  const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));
  const rule = (i: number) => ({
    source_type: 'TOPIC',
    source_value: `t${i}`,
    dataset_urn: URN,
    resolution_confidence: 'LOW',
  });
  const withField = (field: string, raw: string) => `${json(policy(URN)).slice(0, -1)},"${field}":${raw}}`;
  await cp.call('PUT', POLICY_PATH, admin, policy(URN, { owners: ['orders-team'] }));
  const probes: Probe[] = [
    {
      name: '10,000-deep object in a policy field',
      method: 'PUT',
      path: POLICY_PATH,
      body: withField('producer_identity', nestObject(10_000)),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '100,000-deep array as the body',
      method: 'PUT',
      path: POLICY_PATH,
      body: nestArray(100_000),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '100,000-deep object as the body',
      method: 'PUT',
      path: POLICY_PATH,
      body: nestObject(100_000),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '50,000-deep array in a contract enum',
      method: 'PUT',
      path: '/v1/contracts/dc:deep:1',
      body: json(contract('dc:deep:1', { fields: [{ path: 'a', enum: [JSON.parse(nestArray(2000))] }] })).replace(
        nestArray(2000),
        nestArray(50_000),
      ),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '100,000 owners',
      method: 'PUT',
      path: POLICY_PATH,
      body: json(policy(URN, { owners: many(100_000, (i) => `t${i}`) })),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '60,000 identical owners',
      method: 'PUT',
      path: POLICY_PATH,
      body: json(policy(URN, { owners: many(60_000, () => 'orders-team') })),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '8,000 resolution rules',
      method: 'PUT',
      path: `/v1/datasets/${encodeURIComponent(URN)}/resolution`,
      body: json({ rules: many(8_000, rule) }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '5,000 contract fields',
      method: 'PUT',
      path: '/v1/contracts/dc:wide:1',
      body: json(contract('dc:wide:1', { fields: many(5_000, (i) => ({ path: `f${i}` })) })),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '120,000 PII classes on a contract field',
      method: 'PUT',
      path: '/v1/contracts/dc:pii:1',
      body: json(contract('dc:pii:1', { fields: [{ path: 'a', pii: many(120_000, () => 'EMAIL') }] })),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '150,000 disabled gates',
      method: 'PUT',
      path: `/v1/datasets/${encodeURIComponent(URN)}/ops`,
      body: json({ actions_paused: false, disabled_gates: many(150_000, () => 'PII') }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '120,000-element array as the body',
      method: 'PUT',
      path: POLICY_PATH,
      body: json(many(120_000, (i) => i)),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: '__proto__ key',
      method: 'PUT',
      path: POLICY_PATH,
      body: withField('__proto__', '{"roles":["admin"]}'),
      status: 400,
    },
    {
      name: 'constructor.prototype key',
      method: 'PUT',
      path: POLICY_PATH,
      body: withField('constructor', '{"prototype":{"roles":["admin"]}}'),
      status: 400,
    },
    {
      name: 'regex-bait TOPIC_PATTERN',
      method: 'PUT',
      path: `/v1/datasets/${encodeURIComponent(URN)}/resolution`,
      body: json({ rules: [{ ...rule(0), source_type: 'TOPIC_PATTERN', source_value: '(a+)+$' }] }),
      status: [200, 201, 409, 422],
    },
  ];
  const started = Date.now();
  const { results, failures, slowest } = await run(cp.url, admin, probes);
  assert.deepEqual(failures, []);
  // Before the fix a repeated-value array of ~150k items held the event loop for minutes.
  const slow = results.filter((r) => r.res.ms > 5000).map((r) => `${r.probe.name} ${r.res.ms.toFixed(0)} ms`);
  assert.deepEqual(slow, [], 'every hostile body is answered within 5 s');
  assert.equal(({} as Record<string, unknown>).roles, undefined, 'Object.prototype is untouched');
  const health = await send(cp.url, 'GET', '/healthz');
  assert.equal(health.status, 200);
  assert.ok(health.ms < 1000, `the server still answers at once after the abuse (${health.ms.toFixed(0)} ms)`);
  const stored = await cp.call('GET', POLICY_PATH, admin);
  assert.deepEqual(stored.body.owners, ['orders-team'], 'no abusive write got through');
  t.diagnostic(
    `probes: ${probes.length}, statuses: ${tally(results.map((r) => r.res.status))}, total ${Date.now() - started} ms; slowest: ${slowest}`,
  );
});

test('path traversal, odd URNs and contract ids, query and header abuse: 400/404, never 500', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'root', roles: ['admin'] });
  const longUrn = `urn:dp:orders:${'x'.repeat(256 - 'urn:dp:orders:'.length)}`;
  const get = (name: string, path: string, status: number | number[], code?: string): Probe => ({
    name,
    method: 'GET',
    path,
    status,
    code,
  });
  const probes: Probe[] = [
    get('dot segments in the path', '/v1/datasets/../../../etc/passwd', 404, 'NOT_FOUND'),
    get('dot segments after a route', `${POLICY_PATH}/../../../ops/global`, 404, 'NOT_FOUND'),
    get('encoded traversal as the URN', '/v1/datasets/..%2F..%2Fetc%2Fpasswd/policy', 400, 'VALIDATION_FAILED'),
    get('encoded dots as the URN', '/v1/datasets/%2e%2e/policy', 400, 'VALIDATION_FAILED'),
    get('double-encoded traversal', '/v1/datasets/urn:dp:a:%252e%252e%252f/policy', 400, 'VALIDATION_FAILED'),
    get('encoded slash in a URN', '/v1/datasets/urn:dp:a%2Fb:c/policy', 400, 'VALIDATION_FAILED'),
    get('backslash in a URN', '/v1/datasets/urn:dp:a%5C..%5Cb:c/policy', 400, 'VALIDATION_FAILED'),
    get('NUL byte in a URN', '/v1/datasets/urn:dp:a:b%00/policy', 400, 'VALIDATION_FAILED'),
    get('CRLF in a URN', '/v1/datasets/urn:dp:a:b%0d%0aSet-Cookie:x/policy', 400, 'VALIDATION_FAILED'),
    get('non-ASCII URN', '/v1/datasets/urn:dp:%C3%A4:b/policy', 400, 'VALIDATION_FAILED'),
    get('invalid percent escape', '/v1/datasets/urn:dp:a:b%zz/policy', 400, 'MALFORMED_REQUEST'),
    get('truncated percent escape', '/v1/datasets/urn:dp:a:b%/policy', 400, 'MALFORMED_REQUEST'),
    get(
      'URN of 256 characters (the model limit), percent-encoded',
      `/v1/datasets/${encodeURIComponent(longUrn)}/policy`,
      404,
      'DATASET_NOT_FOUND',
    ),
    get('URN of 257 characters', `/v1/datasets/${encodeURIComponent(`${longUrn}y`)}/policy`, 400, 'VALIDATION_FAILED'),
    get(
      'path parameter beyond the router limit',
      `/v1/datasets/urn:dp:a:${'b'.repeat(MAX_PARAM_LENGTH + 10)}/policy`,
      400,
      'MALFORMED_REQUEST',
    ),
    get('64 KiB path', `/v1/datasets/${'a/'.repeat(32 * 1024)}`, [404, 414, 431, 0]),
    get('empty URN', '/v1/datasets//policy', [400, 404]),
    get('SQL in a URN', `/v1/datasets/${encodeURIComponent("urn:dp:a:b' OR '1'='1")}/policy`, 400, 'VALIDATION_FAILED'),
    get('traversal in a contract id', '/v1/contracts/dc:..%2F..%2Fx:1', 400, 'VALIDATION_FAILED'),
    get(
      'SQL in a contract id',
      `/v1/contracts/${encodeURIComponent('dc:x:1;DROP TABLE contract')}`,
      400,
      'VALIDATION_FAILED',
    ),
    get('SQL in the audit target filter', `/v1/audit?target=${encodeURIComponent("' OR 1=1 --")}`, 200),
    get('forged cursor', '/v1/audit?cursor=eyJzZXEiOiItMSBPUiAxPTEifQ', 400, 'INVALID_CURSOR'),
    get('cursor over its length limit', `/v1/datasets?cursor=${'A'.repeat(5000)}`, 400, 'VALIDATION_FAILED'),
    get('limit 0', '/v1/datasets?limit=0', 400, 'VALIDATION_FAILED'),
    get('limit -1', '/v1/datasets?limit=-1', 400, 'VALIDATION_FAILED'),
    get('limit 1e9', '/v1/datasets?limit=1000000000', 400, 'VALIDATION_FAILED'),
    get('limit not a number', '/v1/datasets?limit=abc', 400, 'VALIDATION_FAILED'),
    get('repeated limit', '/v1/datasets?limit=1&limit=2', 400, 'VALIDATION_FAILED'),
    get('since not a date', '/v1/evidence?since=yesterday', 400, 'VALIDATION_FAILED'),
    get('query pollution (__proto__)', '/v1/datasets?__proto__[limit]=1&constructor[prototype][x]=1', [200, 400]),
    {
      name: 'If-Match garbage',
      method: 'PUT',
      path: POLICY_PATH,
      body: JSON.stringify(policy(URN)),
      headers: { 'if-match': '"abc", W/"-1", "1e9999"' },
      status: [201, 412],
    },
    {
      name: '20 KiB Authorization header',
      method: 'GET',
      path: '/v1/datasets',
      headers: { authorization: `Bearer ${'a'.repeat(20 * 1024)}` },
      noToken: true,
      status: 431,
    },
    { name: 'unknown method on a route', method: 'PATCH', path: POLICY_PATH, status: 405, code: 'METHOD_NOT_ALLOWED' },
    { name: 'TRACE', method: 'TRACE', path: '/v1/datasets', status: [404, 405] },
  ];
  const { results, failures, slowest } = await run(cp.url, admin, probes);
  assert.deepEqual(failures, []);
  assert.equal((await send(cp.url, 'GET', '/healthz')).status, 200);
  assert.equal((await cp.store.audit({ limit: 10 })).items.length <= 1, true, 'at most the one valid If-Match PUT');
  t.diagnostic(`probes: ${probes.length}, statuses: ${tally(results.map((r) => r.res.status))}; slowest: ${slowest}`);
});
