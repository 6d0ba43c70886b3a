/**
 * The Confluent registry client against a real HTTPS server on port 0 (node:https with a
 * private CA, a client-certificate requirement and basic auth), and its configuration checks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ConfluentRegistryClient,
  type ConfluentRegistryConfig,
  confluentRegistryConfig,
  RegistryHttpError,
} from '../../../src/common/confluent-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'sf-csr-tls-'));
const f = (name: string) => join(dir, name);
const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCerts(): void {
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ]) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`),
    );
  }
}

const ROUTES: Record<string, [number, unknown]> = {
  '/ccompat/subjects/orders-value/versions/2': [
    200,
    {
      subject: 'orders-value',
      version: 2,
      id: 5,
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3"; import "item.proto"; message O { acme.Item i = 1; }',
      references: [{ name: 'item.proto', subject: 'item', version: 1 }],
    },
  ],
  '/ccompat/subjects/item/versions/1': [
    200,
    {
      subject: 'item',
      version: 1,
      id: 4,
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3"; package acme; import "base.proto"; message Item { string sku = 1; }',
      references: [{ name: 'base.proto', subject: 'base', version: 3 }],
    },
  ],
  '/ccompat/subjects/base/versions/3': [200, { id: 3, schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }],
  '/ccompat/schemas/ids/7': [200, { schema: '{"type":"string"}' }],
  '/ccompat/config/orders-value': [404, { error_code: 40408, message: 'Subject not found' }],
  '/ccompat/config': [200, { compatibilityLevel: 'FULL_TRANSITIVE' }],
};

describe('ConfluentRegistryClient over TLS with basic auth', () => {
  let url = '';
  let server: ReturnType<typeof createServer>;
  before(async () => {
    makeCerts();
    server = createServer(
      {
        key: readFileSync(f('server.key')),
        cert: readFileSync(f('server.pem')),
        ca: readFileSync(f('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":401,"message":"Unauthorized"}');
          return;
        }
        const [status, body] = ROUTES[req.url ?? ''] ?? [404, { error_code: 40403, message: 'Schema not found' }];
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(body));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ccompat`;
  });
  after(() => server.close());

  const cfg = (over: Partial<ConfluentRegistryConfig> = {}): ConfluentRegistryConfig => ({
    url,
    basicAuth: 'u:p',
    caFile: f('ca.pem'),
    certFile: f('client.pem'),
    keyFile: f('client.key'),
    timeoutMs: 2000,
    ...over,
  });

  it('fetches a subject version with its references resolved transitively, dependencies first', async () => {
    const c = new ConfluentRegistryClient(cfg());
    const s = await c.bySubjectVersion('orders-value', 2);
    assert.equal(s.id, 5);
    assert.equal(s.subject, 'orders-value');
    assert.equal(s.schemaType, 'PROTOBUF');
    assert.deepEqual(
      s.references.map((r) => r.name),
      ['base.proto', 'item.proto'],
    );
    const byId = await c.byId(7);
    assert.equal(byId.schemaType, 'AVRO', 'no schemaType means AVRO');
    assert.equal(byId.subject, null);
    await c.close();
  });

  it('reads the subject compatibility, else the global level; 404 is "does not exist"', async () => {
    const c = new ConfluentRegistryClient(cfg());
    assert.equal(await c.compatibility('orders-value'), 'FULL_ALL', "Confluent's FULL_TRANSITIVE is FULL_ALL");
    assert.equal(await c.exists({ id: 7 }), true);
    assert.equal(await c.exists({ id: 8 }), false);
    assert.equal(await c.exists({ subject: 'orders-value', version: 9 }), false);
    await c.close();
  });

  it('a wrong password is an error, not "not found"', async () => {
    const c = new ConfluentRegistryClient(cfg({ basicAuth: 'u:wrong' }));
    await assert.rejects(
      c.exists({ id: 7 }),
      (err) => err instanceof RegistryHttpError && err.status === 401 && !err.notFound,
    );
    await c.close();
  });

  it('verifies the server against the configured CA, and presents the client certificate', async () => {
    const noCa = new ConfluentRegistryClient(cfg({ caFile: undefined }));
    await assert.rejects(noCa.byId(7), (err: Error) => !(err instanceof RegistryHttpError));
    await noCa.close();
    const noCert = new ConfluentRegistryClient(cfg({ certFile: undefined, keyFile: undefined }));
    await assert.rejects(noCert.byId(7), (err: Error) => !(err instanceof RegistryHttpError));
    await noCert.close();
  });
});

describe('confluentRegistryConfig', () => {
  const withEnv = (env: Record<string, string>, fn: () => unknown) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return fn();
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  };
  it('is undefined without SF_SCHEMA_REGISTRY_URL, and trims a trailing slash', () => {
    assert.equal(withEnv({ SF_SCHEMA_REGISTRY_URL: '' }, confluentRegistryConfig), undefined);
    const c = withEnv({ SF_SCHEMA_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7/' }, confluentRegistryConfig);
    assert.equal((c as ConfluentRegistryConfig).url, 'http://r:8081/apis/ccompat/v7');
  });
  it('names the variable in each rejection', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ SF_SCHEMA_REGISTRY_URL: 'registry:8081' }, /SF_SCHEMA_REGISTRY_URL must be an http\(s\) URL/],
      [
        { SF_SCHEMA_REGISTRY_URL: 'http://r', SF_SCHEMA_REGISTRY_BASIC_AUTH: 'nocolon' },
        /SF_SCHEMA_REGISTRY_BASIC_AUTH/,
      ],
      [{ SF_SCHEMA_REGISTRY_URL: 'http://r', SF_SCHEMA_REGISTRY_CERT_FILE: '/c.pem' }, /SF_SCHEMA_REGISTRY_KEY_FILE/],
      [{ SF_SCHEMA_REGISTRY_URL: 'http://r', SF_SCHEMA_REGISTRY_TIMEOUT_MS: '5' }, /SF_SCHEMA_REGISTRY_TIMEOUT_MS/],
    ];
    for (const [env, msg] of cases) {
      assert.throws(
        () => withEnv(env, confluentRegistryConfig),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'CONFIG_INVALID');
          assert.match(err.message, msg);
          return true;
        },
      );
    }
  });
});
