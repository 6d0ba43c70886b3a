/**
 * The audit log records every change and nothing else (issue 9, item 8): a sequence of accepted
 * PUTs (contract, policy create/update, resolution, dataset ops, global ops) interleaved with
 * rejected ones (400, 403, 409, 412, 422) and no-op repeats; GET /v1/audit must list exactly the
 * accepted changes, each with principal, action, target, before/after version and a timestamp,
 * on both stores (SQLite, and DynamoDB on moto).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { dynamoClient } from '../../../src/common/aws.js';
import { createTables, DynamoStore } from '../../../src/control-plane/store/dynamodb.js';
import type { ControlPlaneStore } from '../../../src/control-plane/store/types.js';
import { awsFromEnv, contract, type Json, policy, startApp, tempSqlite, urnPath } from '../control-plane/helpers.js';
import { tally } from './helpers.js';

const URN = 'urn:dp:orders:created';
const OTHER = 'urn:dp:payments:settled';

async function dynamo(t: TestContext): Promise<ControlPlaneStore> {
  const client = dynamoClient(awsFromEnv());
  const prefix = `sf-sec-${randomUUID().slice(0, 8)}`;
  await createTables(client, prefix);
  const store = new DynamoStore(client, prefix);
  t.after(() => store.close());
  return store;
}

interface Step {
  who: string;
  method: 'PUT';
  path: string;
  body: unknown;
  headers?: Record<string, string>;
  /** the audit entry this step must add, or the status of a rejected/no-op step */
  expect: { action: string; target: string; before: number | null; after: number } | { status: number };
}

function steps(): Step[] {
  const rules = (urn: string, topic: string) => ({
    rules: [{ source_type: 'TOPIC', source_value: topic, dataset_urn: urn, resolution_confidence: 'HIGH' }],
  });
  const ops = { actions_paused: true, disabled_gates: ['PII'] };
  return [
    {
      who: 'alice',
      method: 'PUT',
      path: '/v1/contracts/dc:orders:1',
      body: contract('dc:orders:1'),
      expect: { action: 'contract.create', target: 'dc:orders:1', before: null, after: 1 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: '/v1/contracts/dc:orders:1',
      body: contract('dc:orders:1'),
      expect: { status: 200 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: '/v1/contracts/dc:orders:1',
      body: contract('dc:orders:1', { fields: [{ path: 'x' }] }),
      expect: { status: 409 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN),
      body: policy(URN, { contract_id: 'dc:orders:1' }),
      expect: { action: 'policy.create', target: URN, before: null, after: 1 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN),
      body: policy(URN, { contract_id: 'dc:orders:1' }),
      expect: { status: 200 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN),
      body: policy(URN, { tier: 'TIER_2' }),
      headers: { 'if-match': '"1"' },
      expect: { action: 'policy.update', target: URN, before: 1, after: 2 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN),
      body: policy(URN, { tier: 'TIER_3' }),
      headers: { 'if-match': '"1"' },
      expect: { status: 412 },
    },
    { who: 'bob', method: 'PUT', path: urnPath(URN), body: policy(URN, { tier: 'TIER_3' }), expect: { status: 403 } },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN),
      body: policy(URN, { contract_id: 'dc:missing:1' }),
      expect: { status: 422 },
    },
    { who: 'alice', method: 'PUT', path: urnPath(URN), body: policy(OTHER), expect: { status: 422 } },
    { who: 'alice', method: 'PUT', path: urnPath(URN), body: policy(URN, { tier: 'GOLD' }), expect: { status: 400 } },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN, 'resolution'),
      body: rules(URN, 'raw.orders.events'),
      expect: { action: 'resolution.put', target: URN, before: null, after: 1 },
    },
    {
      who: 'bob',
      method: 'PUT',
      path: urnPath(URN, 'resolution'),
      body: rules(URN, 'raw.orders.v2'),
      expect: { status: 403 },
    },
    {
      who: 'root',
      method: 'PUT',
      path: urnPath(OTHER),
      body: policy(OTHER, { owners: ['payments-team'] }),
      expect: { action: 'policy.create', target: OTHER, before: null, after: 1 },
    },
    {
      who: 'bob',
      method: 'PUT',
      path: urnPath(OTHER, 'resolution'),
      body: rules(OTHER, 'raw.orders.events'),
      expect: { status: 409 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN, 'ops'),
      body: ops,
      expect: { action: 'ops.dataset.put', target: URN, before: null, after: 1 },
    },
    {
      who: 'alice',
      method: 'PUT',
      path: urnPath(URN, 'ops'),
      body: { actions_paused: false, disabled_gates: ['RESOLUTION'] },
      expect: { status: 422 },
    },
    {
      who: 'bob',
      method: 'PUT',
      path: urnPath(URN, 'ops'),
      body: { actions_paused: false, disabled_gates: [] },
      expect: { status: 403 },
    },
    { who: 'alice', method: 'PUT', path: '/v1/ops/global', body: { safe_mode: true }, expect: { status: 403 } },
    {
      who: 'root',
      method: 'PUT',
      path: '/v1/ops/global',
      body: { safe_mode: true },
      expect: { action: 'ops.global.put', target: 'global', before: null, after: 1 },
    },
    {
      who: 'root',
      method: 'PUT',
      path: '/v1/ops/global',
      body: { safe_mode: false },
      headers: { 'if-match': '"1"' },
      expect: { action: 'ops.global.put', target: 'global', before: 1, after: 2 },
    },
    {
      who: 'root',
      method: 'PUT',
      path: urnPath(URN),
      body: policy(URN, { tier: 'TIER_1' }),
      expect: { action: 'policy.update', target: URN, before: 2, after: 3 },
    },
  ];
}

for (const kind of ['sqlite', 'dynamodb'] as const) {
  test(`${kind}: the audit log holds every accepted change with who/what/when/versions, and no rejected one`, async (t) => {
    const store = kind === 'sqlite' ? tempSqlite(t) : await dynamo(t);
    const cp = await startApp(t, { store });
    const tokens: Record<string, string> = {
      alice: await cp.token({ sub: 'alice', teams: ['orders-team'] }),
      bob: await cp.token({ sub: 'bob', teams: ['payments-team'] }),
      root: await cp.token({ sub: 'root', roles: ['admin'] }),
    };
    const plan = steps();
    const expected: Json[] = [];
    const statuses: number[] = [];
    const started = Date.now();
    for (const s of plan) {
      const before = Date.now();
      const r = await cp.call(s.method, s.path, tokens[s.who], s.body, s.headers);
      statuses.push(r.status);
      if ('status' in s.expect) {
        assert.equal(r.status, s.expect.status, `${s.who} ${s.path}: ${JSON.stringify(r.body)}`);
      } else {
        assert.ok(r.status === 200 || r.status === 201, `${s.who} ${s.path}: ${r.status} ${JSON.stringify(r.body)}`);
        expected.push({ ...s.expect, actor: s.who, window: [before - 1000, Date.now() + 1000] });
      }
    }
    const ended = Date.now();

    // Walk the whole log in pages of 3 (newest first), then compare oldest first.
    const entries: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await cp.call('GET', `/v1/audit?limit=3${q}`, tokens.bob);
      assert.equal(page.status, 200);
      entries.push(...page.body.items);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    entries.reverse();

    assert.equal(entries.length, expected.length, 'one entry per accepted change, none for rejected or no-op writes');
    entries.forEach((e, i) => {
      const x = expected[i];
      assert.deepEqual(
        [e.actor, e.action, e.target, e.before_version, e.after_version],
        [x.actor, x.action, x.target, x.before, x.after],
        `entry ${i}`,
      );
      const at = Date.parse(e.at);
      assert.ok(at >= x.window[0] && at <= x.window[1], `entry ${i} timestamp ${e.at} within its request`);
      assert.equal(e.seq, i + 1, 'seq is the store watermark: gapless and increasing');
    });
    const snapshot = await cp.call('GET', '/v1/snapshot', tokens.bob);
    assert.equal(snapshot.body.version, entries.length, 'the change feed watermark equals the last audit seq');

    // The target filter returns exactly that target's entries.
    const mine = await cp.call('GET', `/v1/audit?target=${encodeURIComponent(URN)}`, tokens.bob);
    assert.equal(mine.body.items.length, expected.filter((x) => x.target === URN).length);

    const rejected = plan.filter((s) => 'status' in s.expect);
    t.diagnostic(
      `${kind}: writes ${plan.length} (${tally(statuses)}), accepted changes ${expected.length}, ` +
        `rejected or no-op ${rejected.length}, audit entries ${entries.length} in ${pages} pages, ${ended - started} ms`,
    );
  });
}
