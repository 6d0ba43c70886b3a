/**
 * /openapi.json describes every endpoint, validates as OpenAPI 3.1 (openapi-spec-validator from
 * the project venv, installed with moto[server]) and its schemas compile as JSON Schema 2020-12.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { type Json, startApp } from './helpers.js';

const ENDPOINTS = [
  'put /v1/datasets/{dataset_urn}/policy',
  'get /v1/datasets/{dataset_urn}/policy',
  'get /v1/datasets',
  'put /v1/datasets/{dataset_urn}/resolution',
  'get /v1/datasets/{dataset_urn}/resolution',
  'put /v1/contracts/{contract_id}',
  'get /v1/contracts/{contract_id}',
  'put /v1/datasets/{dataset_urn}/ops',
  'get /v1/datasets/{dataset_urn}/ops',
  'put /v1/ops/global',
  'get /v1/ops/global',
  'get /v1/snapshot',
  'get /v1/audit',
  'get /v1/evidence',
  'get /v1/evidence/{evidence_id}',
  'get /v1/contracts',
  'post /v1/contracts/{contract_id}/deprecate',
  'get /v1/resolution',
  'delete /v1/datasets/{dataset_urn}/policy',
  'delete /v1/datasets/{dataset_urn}/resolution',
  'delete /v1/datasets/{dataset_urn}/ops',
  'delete /v1/ops/global',
  'get /v1/datasets/{dataset_urn}/health',
  'get /v1/incidents',
  'get /v1/incidents/{incident_id}',
  'post /v1/incidents/{incident_id}/ack',
  'get /healthz',
  'get /readyz',
  'get /metrics',
];

test('the OpenAPI document describes every endpoint and is valid', async (t) => {
  const cp = await startApp(t);
  const res = await cp.call('GET', '/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.equal(doc.openapi, '3.1.0');
  const ops = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([p, item]) =>
    Object.keys(item).map((m) => `${m} ${p}`),
  );
  assert.deepEqual([...ops].sort(), [...ENDPOINTS].sort());

  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [m, op] of Object.entries(item)) {
      assert.ok(op.summary, `${m} ${p} has a summary`);
      assert.ok(
        op.responses?.['200'] ?? (m === 'delete' && op.responses?.['204']),
        `${m} ${p} documents 200 (204 for a delete)`,
      );
      assert.ok(op.responses['431'], `${m} ${p} documents 431 (the HTTP parser can answer it anywhere)`);
      if (p.startsWith('/v1/')) {
        assert.deepEqual(op.security, [{ bearer: [] }], `${m} ${p} declares bearer auth`);
        assert.ok(op.responses['401'], `${m} ${p} documents 401`);
      }
      for (const name of p.match(/\{(\w+)\}/g) ?? []) {
        const param = name.slice(1, -1);
        assert.ok(
          op.parameters?.some((x: Json) => x.in === 'path' && x.name === param),
          `${m} ${p} declares ${param}`,
        );
      }
      const schemas = [
        op.requestBody?.content?.['application/json']?.schema,
        ...Object.values(op.responses).map((r: Json) => r.content?.['application/json']?.schema),
        ...(op.parameters ?? []).map((x: Json) => x.schema),
      ].filter(Boolean);
      for (const s of schemas) ajv.compile(s);
    }
  }
  const put = doc.paths['/v1/datasets/{dataset_urn}/policy'].put;
  for (const s of ['201', '400', '401', '403', '412', '422', '500'])
    assert.ok(put.responses[s], `policy PUT documents ${s}`);

  const python = resolve('.cache/venv/bin/python');
  assert.ok(
    existsSync(python),
    `${python} missing: install the project venv (moto[server] brings openapi-spec-validator)`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'sf-openapi-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const out = execFileSync(python, ['-m', 'openapi_spec_validator', file], { encoding: 'utf8' });
  assert.match(out, /OK/);
});
