/**
 * What the ops console needs from the control plane itself: its files at /ui/ (or a clear 503
 * when the checkout was never built), server-side dataset filters, and the reason of a change in
 * its audit entry (X-Audit-Reason).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { policy, startApp, urnPath } from './helpers.js';

test('/ui/ serves the built console with a strict CSP; /ui redirects; no build is 503 CONSOLE_NOT_BUILT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-ui-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'app.js'), 'export {};');
  const cp = await startApp(t, { consoleDir: dir });
  const index = await fetch(`${cp.url}/ui/`);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /<title>console<\/title>/);
  assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self';/);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  const js = await fetch(`${cp.url}/ui/app.js`);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  const bare = await fetch(`${cp.url}/ui`, { redirect: 'manual' });
  assert.equal(bare.status, 308);
  assert.equal(bare.headers.get('location'), '/ui/');
  assert.equal((await fetch(`${cp.url}/ui/nope.js`)).status, 404);

  const unbuilt = await startApp(t, { consoleDir: join(dir, 'missing') });
  const r = await unbuilt.call('GET', '/ui/');
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, 'CONSOLE_NOT_BUILT');
});

test('GET /v1/datasets filters on the server (q, tier, owner, mode) and pages matches by cursor', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'admin', roles: ['admin'] });
  for (let i = 0; i < 12; i++) {
    const urn = `urn:dp:filter:ds-${String(i).padStart(2, '0')}`;
    const body = policy(urn, {
      tier: `TIER_${(i % 3) + 1}`,
      owners: [i % 2 ? 'payments-team' : 'orders-team'],
      enforcement_mode: i === 7 ? 'ALERT_ONLY' : 'QUARANTINE_ON_FAIL',
    });
    assert.equal((await cp.call('PUT', urnPath(urn), admin, body)).status, 201);
  }
  const list = async (q: string) => {
    const r = await cp.call('GET', `/v1/datasets?${q}`, admin);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { items: Array<{ dataset_urn: string }>; next_cursor: string | null };
  };
  const ids = (p: { items: Array<{ dataset_urn: string }> }) => p.items.map((x) => x.dataset_urn.slice(-2));
  // TIER_1: 0, 3, 6, 9; of those, payments-team (odd): 3, 9
  assert.deepEqual(ids(await list('tier=TIER_1&owner=payments-team')), ['03', '09']);
  assert.deepEqual(ids(await list('mode=ALERT_ONLY')), ['07']);
  assert.deepEqual(ids(await list('q=DS-1')), ['10', '11']);
  const p1 = await list('tier=TIER_1&limit=3');
  assert.deepEqual(ids(p1), ['00', '03', '06']);
  const p2 = await list(`tier=TIER_1&limit=3&cursor=${p1.next_cursor}`);
  assert.deepEqual(ids(p2), ['09']);
  assert.equal(p2.next_cursor, null);
  const bad = await cp.call('GET', '/v1/datasets?tier=TIER_9', admin);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
});

test('X-Audit-Reason on ops changes lands in the audit entry; a bad one is refused before any change', async (t) => {
  const cp = await startApp(t);
  const admin = await cp.token({ sub: 'ops-admin', roles: ['admin'] });
  const urn = 'urn:dp:orders:created';
  await cp.call('PUT', urnPath(urn), admin, policy(urn));
  const reason = 'Störung: pausing during the replay (INC-7)';
  const put = await cp.call(
    'PUT',
    urnPath(urn, 'ops'),
    admin,
    { actions_paused: true, disabled_gates: [] },
    {
      'x-audit-reason': encodeURIComponent(reason),
    },
  );
  assert.equal(put.status, 201);
  const g = await cp.call('PUT', '/v1/ops/global', admin, { safe_mode: true }, { 'x-audit-reason': 'drill' });
  assert.equal(g.status, 201);
  const del = await cp.call('DELETE', urnPath(urn, 'ops'), admin, undefined, { 'x-audit-reason': 'replay done' });
  assert.equal(del.status, 204);
  const audit = (await cp.call('GET', '/v1/audit?limit=3', admin)).body.items;
  assert.deepEqual(
    audit.map((e: { action: string; reason?: string }) => [e.action, e.reason]),
    [
      ['ops.dataset.delete', 'replay done'],
      ['ops.global.put', 'drill'],
      ['ops.dataset.put', reason],
    ],
  );
  const bad = await cp.call(
    'PUT',
    urnPath(urn, 'ops'),
    admin,
    { actions_paused: false, disabled_gates: [] },
    {
      'x-audit-reason': '%E0%A4%A',
    },
  );
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].path, '/headers/x-audit-reason');
  assert.equal((await cp.call('GET', '/v1/audit?limit=10', admin)).body.items.length, 4, 'nothing stored');
});
