/** The shared control plane client against a real node:http server that answers as scripted. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { ControlPlaneHttpError, callApi, fetchSnapshot, getIfExists } from '../../../src/common/control-plane-api.js';
import { applyOne, decide, toDesired } from '../../../src/control-plane/apply.js';

type Answer = { status: number; type?: string; body?: string; etag?: string };

async function server(t: { after(fn: () => void): void }, answer: (url: string) => Answer) {
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];
  const srv = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    const a = answer(req.url ?? '');
    res.writeHead(a.status, {
      ...(a.type ? { 'content-type': a.type } : {}),
      ...(a.etag ? { etag: a.etag } : {}),
    });
    res.end(a.body ?? '');
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, seen };
}

const envelope = (code: string, message: string) => JSON.stringify({ error: { code, message } });
const JSON_TYPE = 'application/json; charset=utf-8';

async function rejection(p: Promise<unknown>): Promise<ControlPlaneHttpError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ControlPlaneHttpError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

test('only the control plane\'s own 404 means "absent"', async (t) => {
  const s = await server(t, (url) =>
    url.startsWith('/ours')
      ? { status: 404, type: JSON_TYPE, body: envelope('DATASET_NOT_FOUND', 'no policy') }
      : { status: 404, type: 'text/html', body: '<h1>Not Found</h1>' },
  );
  assert.equal(await getIfExists(s.url, 't', '/ours'), undefined);
  const e = await rejection(getIfExists(s.url, 't', '/theirs'));
  assert.deepEqual([e.status, e.code], [404, 'NOT_CONTROL_PLANE']);
  assert.match(
    e.message,
    /HTTP 404 from http:\/\/127\.0\.0\.1:\d+ without the control plane's error envelope.*Not Found/,
  );
});

test("any non-2xx throws with the server's code; a 2xx that is not JSON is not the control plane", async (t) => {
  const s = await server(t, (url) =>
    url === '/refused'
      ? { status: 422, type: JSON_TYPE, body: envelope('INVALID_CONTRACT', 'bad pattern') }
      : { status: 200, type: 'text/html', body: '<html></html>' },
  );
  const refused = await rejection(callApi(s.url, 't', 'PUT', '/refused', {}));
  assert.deepEqual([refused.status, refused.code, refused.message], [422, 'INVALID_CONTRACT', 'bad pattern']);
  const html = await rejection(callApi(s.url, 't', 'GET', '/page'));
  assert.deepEqual([html.status, html.code], [200, 'NOT_CONTROL_PLANE']);
  const down = await rejection(callApi('http://127.0.0.1:1', 't', 'GET', '/x'));
  assert.deepEqual([down.status, down.code], [0, 'UNREACHABLE']);
});

test('fetchSnapshot: ETag in, 304 out; the bearer only when there is a token', async (t) => {
  const s = await server(t, () => ({ status: 304 }));
  assert.deepEqual(await fetchSnapshot(s.url, undefined, '"7"'), { status: 304 });
  assert.equal(s.seen[0].headers['if-none-match'], '"7"');
  assert.equal(s.seen[0].headers.authorization, undefined);
  const ok = await server(t, () => ({ status: 200, type: JSON_TYPE, etag: '"8"', body: '{"version":8}' }));
  const r = await fetchSnapshot(ok.url, 'tok');
  assert.deepEqual(r, { status: 200, etag: '"8"', body: { version: 8 } });
  assert.equal(ok.seen[0].headers.authorization, 'Bearer tok');
});

test('apply pins every PUT with If-Match: the diffed version, "0" for a create; a dry run adds ?dry_run=true', async (t) => {
  const s = await server(t, () => ({ status: 200, type: JSON_TYPE, body: '{}' }));
  const d = toDesired({ kind: 'Ops', spec: { safe_mode: true } }, 'f');
  await applyOne(s.url, 't', decide(d, undefined));
  await applyOne(s.url, 't', decide(d, { status: 200, etag: '"4"', body: { safe_mode: false, version: 4 } }), true);
  assert.deepEqual(
    s.seen.map((x) => [x.method, x.url, x.headers['if-match']]),
    [
      ['PUT', '/v1/ops/global', '"0"'],
      ['PUT', '/v1/ops/global?dry_run=true', '"4"'],
    ],
  );
});
