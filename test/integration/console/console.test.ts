/**
 * The ops console in Debian's chromium (playwright-core) against a real control plane process,
 * the real broker (evidence produced to a fresh topic and indexed by the control plane's own
 * consumer) and only the public API. 1,000 datasets are seeded so the datasets page must page on
 * the server. Each page is checked with axe-core and screenshotted into docs/console/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import kafka from '@confluentinc/kafka-javascript';
import type { Locator, Page } from 'playwright-core';
import { api, freePort, startService } from '../../../src/dev/services.js';
import type { EvidenceEvent } from '../../../src/models/index.js';
import { createTopics, LOG_DIR, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';
import { policy } from '../control-plane/helpers.js';
import { assertAccessible, openBrowser, screenshot } from './browser.js';

const DATASETS = 1000;
const ORDERS = 'urn:dp:console:orders';
const FAIL_CODES = ['MISSING_FIELD:order_id', 'FORMAT_MISMATCH:created_at'];
const ENFORCER_ID = 'console-test-enforcer';

function evidence(i: number, now: number): EvidenceEvent {
  const fail = i % 3 === 0;
  const at = now - (30 - i) * 20_000;
  return {
    evidence_id: `evd-console-${now}-${i}`,
    timestamp: new Date(at).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: ORDERS,
    producer: { producer_id: 'orders-svc', identity_confidence: 'MEDIUM' },
    source: {
      raw_topic: 'raw.orders.events',
      partition: 0,
      offset: i,
      key: `o-${i}`,
      event_time: new Date(at - 5000).toISOString(),
    },
    schema: { schema_id: 'glue:orders.created:1' },
    contract: { contract_id: null },
    validation: {
      result: fail ? 'FAIL' : 'PASS',
      failed_gates: fail ? ['CONTRACT'] : [],
      reason_codes: fail ? [FAIL_CODES[(i / 3) % 2]] : [],
    },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
  };
}

/** Evidence to the test's topic with the real client, keyed like the enforcer (raw topic/partition). */
async function produceEvidence(brokers: string, topic: string, events: EvidenceEvent[]): Promise<void> {
  const producer = new kafka.KafkaJS.Kafka({}).producer({ 'bootstrap.servers': brokers, log_level: 3 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: events.map((e) => ({ key: `${e.source.raw_topic}/${e.source.partition}`, value: JSON.stringify(e) })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** The Signal Engine tuned to open incidents within seconds (as its own tests do). */
const FAST_SIGNALS = {
  SF_SIGNALS_EVAL_INTERVAL_MS: '500',
  SF_SIGNALS_BATCH_WAIT_MS: '200',
  SF_SIGNALS_OPEN_AFTER_SEC: '1',
  SF_SIGNALS_RESOLVE_AFTER_SEC: '600',
  SF_SIGNALS_MIN_RECORDS: '10',
  SF_SIGNALS_TOPIC_PARTITIONS: '1',
  SF_POLICY_REFRESH_MS: '500',
};

const urnOf = (i: number) => `urn:dp:console:ds-${String(i).padStart(4, '0')}`;

async function parallel(n: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const rows = (page: Page) => page.locator('table.datasets tbody tr');

/**
 * Polls a locator's count from the test side: the console's CSP (no 'unsafe-eval') refuses
 * playwright's string predicates, and that is the policy we want to keep.
 */
async function waitForCount(l: Locator, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let c = await l.count();
  while (c !== n) {
    assert.ok(Date.now() < deadline, `expected ${n} elements, found ${c}`);
    await new Promise((r) => setTimeout(r, 100));
    c = await l.count();
  }
}

type PageGlobals = { sessionStorage: { getItem(k: string): string | null } };
const storedToken = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('sf.console.token'));

test('the ops console in a real browser: datasets, toggles and their audit, evidence, incidents, safe mode', async (t) => {
  const { brokers } = stackEnv();
  const topic = unique('sf-console-evidence');
  await createTopics(brokers, [{ topic, numPartitions: 1 }]);
  // The Signal Engine's topics, unique to this run: the control plane reads them once it has the engine's view.
  const sig = unique('sf-console-signals');
  const signalTopics = {
    SF_EVIDENCE_TOPIC: topic,
    SF_SIGNALS_PARTIALS_TOPIC: `${sig}.partials`,
    SF_SIGNALS_TOPIC: `${sig}.signals`,
    SF_INCIDENTS_TOPIC: `${sig}.incidents`,
    SF_SIGNALS_GROUP_ID: `${sig}.engine`,
  };
  const cp = await startControlPlane(t, {
    ...signalTopics,
    SF_EVIDENCE_INDEX: 'on',
    SF_KAFKA_BROKERS: brokers,
    SF_EVIDENCE_TOPIC: topic,
    SF_EVIDENCE_INDEX_PATH: join(mkdtempSync(join(tmpdir(), 'sf-console-ix-')), 'ix.db'),
    SF_EVIDENCE_INDEX_GROUP_ID: unique('sf-console-ix'),
  });
  const call = (method: 'GET' | 'PUT', path: string, body?: unknown) => api(cp.url, cp.admin, method, path, body);
  const urnPath = (urn: string, sub: string) => `/v1/datasets/${encodeURIComponent(urn)}/${sub}`;

  // A real enforcer polling this control plane: the Global page shows it from its own reports.
  const rawTopic = unique('sf-console-raw');
  await createTopics(brokers, [{ topic: rawTopic, numPartitions: 2 }]);
  const enforcer = startEnforcer(t, {
    SF_ENFORCER_TOPICS: rawTopic,
    SF_ENFORCER_GROUP_ID: unique('sf-console-enforcer'),
    SF_ENFORCER_INSTANCE_ID: ENFORCER_ID,
    SF_CONTROL_PLANE_URL: cp.url,
    SF_EVIDENCE_TOPIC: topic,
  });
  enforcer.catch(() => {}); // awaited (and its failure reported) in the Global subtest
  // Seed through the public API only.
  await parallel(DATASETS, 8, (i) =>
    cp.put(
      urnPath(urnOf(i), 'policy'),
      policy(urnOf(i), { tier: `TIER_${(i % 3) + 1}`, owners: [i % 2 ? 'payments-team' : 'orders-team'] }),
    ),
  );
  await cp.put(urnPath(ORDERS, 'policy'), policy(ORDERS));
  const now = Date.now();
  const events = Array.from({ length: 30 }, (_, i) => evidence(i, now));
  await produceEvidence(brokers, topic, events);
  const fails = events.filter((e) => e.validation.result === 'FAIL');
  const deadline = Date.now() + 60_000;
  for (;;) {
    // The index keeps FAIL evidence (PASS only in its per-minute counts).
    const r = await call('GET', `/v1/evidence?dataset_urn=${encodeURIComponent(ORDERS)}&result=FAIL&limit=100`);
    if (r.status === 200 && (r.body as { items: unknown[] }).items.length === fails.length) break;
    assert.ok(
      Date.now() < deadline,
      `the evidence index did not reach ${fails.length} FAIL events: ${JSON.stringify(r.body)}`,
    );
    await new Promise((r) => setTimeout(r, 300));
  }
  const healthRoute = await call('GET', urnPath(ORDERS, 'health'));
  const engineMissing = healthRoute.status === 404 && (healthRoute.body as Json).error.code === 'NOT_FOUND';

  const { page, errors } = await openBrowser(t);
  const datasetRequests: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/v1/datasets' || u.pathname.endsWith('/health')) datasetRequests.push(u.pathname + u.search);
  });

  await t.test('login by ?token= keeps the token out of the address bar', async () => {
    await page.goto(`${cp.url}/ui/?token=${cp.admin}#/datasets`);
    await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
    assert.ok(!page.url().includes('token='), `the token stays in the URL: ${page.url()}`);
    assert.ok(page.url().endsWith('/ui/#/datasets'));
    const stored = await storedToken(page);
    assert.equal(stored, cp.admin);
  });

  await t.test(
    'datasets: one server page of 1,000, filters on the server, sortable, honest without the engine',
    async () => {
      await rows(page).first().waitFor();
      assert.equal(await rows(page).count(), 50, 'one page of 50, not 1,001 rows');
      const lists = datasetRequests.filter((u) => u.startsWith('/v1/datasets?'));
      assert.deepEqual(lists, ['/v1/datasets?limit=50']);
      // Health, then the sparklines (svg or "no data") have loaded for every row of the page.
      await waitForCount(page.locator('table.datasets td:nth-child(6)').locator('.spark, .muted'), 50);
      if (engineMissing) {
        await page.getByText('Health (signal engine): not available on this control plane').waitFor();
        await page.getByText('Open incidents (signal engine): not available on this control plane').waitFor();
      }
      assert.ok(
        datasetRequests.filter((u) => u.endsWith('/health')).length <= 50,
        'health is fetched for the page only',
      );
      await assertAccessible(page, 'datasets page');
      await screenshot(page, 'datasets', false);
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByText('Page 2').waitFor();
      assert.equal(await rows(page).first().getAttribute('data-urn'), urnOf(50));

      await page.getByLabel('URN contains').fill('ds-099');
      await page.getByLabel('Tier').selectOption('TIER_1');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.getByText('Page 1').waitFor();
      await waitForCount(rows(page), 4);
      // ds-0990..0999 with i % 3 === 0: 990, 993, 996, 999
      assert.deepEqual(await rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-urn'))), [
        urnOf(990),
        urnOf(993),
        urnOf(996),
        urnOf(999),
      ]);
      assert.ok(datasetRequests.includes('/v1/datasets?q=ds-099&tier=TIER_1&limit=50'), datasetRequests.join('\n'));

      const urnHeader = page.getByRole('columnheader', { name: /Dataset/ });
      await urnHeader.getByRole('button').click();
      await urnHeader.getByRole('button').click();
      assert.equal(await urnHeader.getAttribute('aria-sort'), 'descending');
      assert.equal(await rows(page).first().getAttribute('data-urn'), urnOf(999));

      await page.getByLabel('URN contains').fill('');
      await page.getByLabel('Tier').selectOption('');
      await page.getByRole('button', { name: 'Filter' }).click();
      await waitForCount(rows(page), 50);
      await assertAccessible(page, 'datasets page, sorted');
    },
  );

  await t.test(
    'dataset: FAIL evidence grouped by reason code, charts, version diff, and a sample opening the full evidence',
    async () => {
      await cp.put(urnPath(ORDERS, 'policy'), policy(ORDERS, { volume_rpm_expected: 2000 }));
      await page.goto(`${cp.url}/ui/#/datasets/${encodeURIComponent(ORDERS)}`);
      const versions = await call('GET', urnPath(ORDERS, 'policy/versions'));
      if (versions.status === 200) {
        await page.getByRole('button', { name: 'v2' }).click();
        const diff = page.locator('table.diff tbody tr');
        await diff.first().waitFor();
        const cells = await diff.evaluateAll((rs) =>
          rs.map((r) =>
            Array.from(r.children as ArrayLike<{ textContent: string | null }>, (c) => c.textContent?.trim()),
          ),
        );
        assert.deepEqual(cells, [['/volume_rpm_expected', '1000', '2000']]);
      } else {
        await page.getByText('Policy version history: not available on this control plane').waitFor();
      }
      const reasons = page.locator('table.reasons tbody tr');
      await reasons.first().waitFor();
      const groups = await reasons.evaluateAll((rs) =>
        rs.map((r) => [r.querySelector('th')?.textContent?.trim(), r.querySelectorAll('td')[1]?.textContent?.trim()]),
      );
      assert.deepEqual(groups.sort(), [
        ['FORMAT_MISMATCH:created_at', '5'],
        ['MISSING_FIELD:order_id', '5'],
      ]);
      await page.locator('.charts .uplot').first().waitFor();
      assert.equal(await page.locator('.charts .uplot').count(), 3, 'compliance, volume and freshness charts');
      await assertAccessible(page, 'dataset page');
      await screenshot(page, 'dataset');

      const sample = page.locator('table.reasons a.sample').first();
      const label = (await sample.getAttribute('aria-label')) ?? '';
      const id = /^Evidence (\S+) /.exec(label)?.[1];
      assert.ok(id && events.some((e) => e.evidence_id === id), `a sample links a seeded FAIL event: ${label}`);
      await sample.click();
      await page.getByRole('heading', { name: `Evidence ${id}` }).waitFor();
      const json = JSON.parse((await page.locator('pre.json').textContent()) ?? '{}');
      assert.deepEqual(
        json,
        events.find((e) => e.evidence_id === id),
      );
      await page.getByText('FAIL', { exact: true }).waitFor();
      await assertAccessible(page, 'evidence page');
      await screenshot(page, 'evidence');
    },
  );

  await t.test('ops toggle round trip: confirmation, reason required, stored, audited with its reason', async () => {
    await page.goto(`${cp.url}/ui/#/datasets/${encodeURIComponent(ORDERS)}`);
    await page.getByLabel('Pause actions (evidence only: no quarantine, no republish)').check();
    await page.getByRole('checkbox', { name: 'CONTRACT' }).check();
    await page.getByRole('button', { name: 'Apply changes…' }).click();
    const dialog = page.getByRole('dialog', { name: `Change the ops toggles of ${ORDERS}?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.getByText('A reason is required').waitFor();
    const before = await call('GET', urnPath(ORDERS, 'ops'));
    assert.equal((before.body as Json).version, 0, 'nothing is stored without a reason');
    const reason = 'console test: pausing while the CONTRACT fix ships (ticket #42)';
    await dialog.getByLabel('Reason (kept in the audit log)').fill(reason);
    await assertAccessible(page, 'confirmation dialog');
    await screenshot(page, 'confirm');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Saved: ops toggles are now version 1').waitFor();

    const ops = (await call('GET', urnPath(ORDERS, 'ops'))).body as Json;
    assert.equal(ops.actions_paused, true);
    assert.deepEqual(ops.disabled_gates, ['CONTRACT']);
    assert.equal(ops.updated_by, 'test-admin');
    const audit = (await call('GET', `/v1/audit?target=${encodeURIComponent(ORDERS)}&limit=1`)).body as Json;
    assert.equal(audit.items[0].action, 'ops.dataset.put');
    assert.equal(audit.items[0].reason, reason);
    await page.getByText(reason).first().waitFor();

    await page.goto(`${cp.url}/ui/#/audit`);
    await page.getByLabel(/^Target/).fill(ORDERS);
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.locator('table.audit tbody tr').first();
    await row.getByText('ops.dataset.put').waitFor();
    await row.getByText(reason).waitFor();
    await assertAccessible(page, 'audit page');
    await screenshot(page, 'audit');
  });

  await t.test('incidents: open first, acknowledge (needs the signal engine API)', async (st) => {
    await page.goto(`${cp.url}/ui/#/incidents`);
    const list = await call('GET', '/v1/incidents?state=open');
    if (list.status === 404 && (list.body as Json).error.code === 'NOT_FOUND') {
      await page.getByText('Incidents (signal engine): not available on this control plane').waitFor();
      await assertAccessible(page, 'incidents page');
      await screenshot(page, 'incidents');
      st.skip('GET /v1/incidents is not on this control plane: the page says so; no acknowledgement to test');
      return;
    }
    // A real Signal Engine over this test's evidence opens the incident: a fresh 50% FAIL burst for ORDERS.
    const port = await freePort();
    const engine = await startService({
      name: `console-signals-${port}`,
      command: 'signals',
      env: { ...signalTopics, ...FAST_SIGNALS, SF_CONTROL_PLANE_URL: cp.url, SF_SIGNALS_HTTP_PORT: String(port) },
      port,
      logDir: LOG_DIR,
      readyTimeoutMs: 90_000,
    });
    t.after(() => engine.stop('SIGKILL'));
    const burstAt = Date.now();
    const burst = Array.from({ length: 40 }, (_, i) => ({
      ...evidence(i, burstAt),
      evidence_id: `evd-console-burst-${burstAt}-${i}`,
      timestamp: new Date(burstAt - (40 - i) * 100).toISOString(),
      validation: {
        result: i % 2 ? ('PASS' as const) : ('FAIL' as const),
        failed_gates: i % 2 ? [] : ['CONTRACT'],
        reason_codes: i % 2 ? [] : [FAIL_CODES[0]],
      },
    }));
    await produceEvidence(brokers, topic, burst);
    const incDeadline = Date.now() + 90_000;
    let open: Array<{ incident_id: string; dataset_urn: string }> = [];
    while (open.length === 0) {
      assert.ok(Date.now() < incDeadline, 'the Signal Engine opened no incident for the 50% FAIL burst');
      await new Promise((r) => setTimeout(r, 1000));
      const r = await call('GET', `/v1/incidents?state=open&dataset_urn=${encodeURIComponent(ORDERS)}`);
      open = r.status === 200 ? (r.body as Json).items : [];
    }
    await page.reload();
    const id = open[0].incident_id;
    const card = page.locator(`li[data-incident="${id}"]`);
    await card.getByRole('button', { name: 'Acknowledge…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Acknowledge this incident?' });
    assert.equal(await dialog.getByLabel('Reason (kept in the audit log)').count(), 0, 'the ack API keeps no reason');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await card.getByText('acknowledged').first().waitFor();
    const after = (await call('GET', `/v1/incidents/${encodeURIComponent(id)}`)).body as Json;
    assert.equal(after.state, 'acknowledged');
    assert.equal(after.acknowledged_by, 'test-admin');
    await card.getByText('acknowledged by test-admin').waitFor();
    await assertAccessible(page, 'incidents page');
    await screenshot(page, 'incidents');
  });

  await t.test(
    'global: safe mode with a confirmation and a reason; the enforcer fleet from its own reports',
    async () => {
      await page.goto(`${cp.url}/ui/#/global`);
      await page.getByText('Safe mode is off').waitFor();
      await page.getByRole('button', { name: 'Turn safe mode on…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Turn safe mode on?' });
      await dialog.getByLabel('Reason (kept in the audit log)').fill('console test: incident drill');
      await dialog.getByRole('button', { name: 'Turn on' }).click();
      await page.getByText('Safe mode is ON').waitFor();
      const g = (await call('GET', '/v1/ops/global')).body as Json;
      assert.equal(g.safe_mode, true);
      const audit = (await call('GET', '/v1/audit?target=global&limit=1')).body as Json;
      assert.equal(audit.items[0].reason, 'console test: incident drill');
      await page.getByText('Evidence index').waitFor();
      await enforcer;
      const fleetDeadline = Date.now() + 30_000;
      for (;;) {
        const f = (await call('GET', '/v1/fleet')).body as Json;
        const me = f.items.find((e: { instance: string }) => e.instance === ENFORCER_ID);
        if (me?.ready && me.snapshot_version > 0) break;
        assert.ok(Date.now() < fleetDeadline, `the enforcer never reported ready: ${JSON.stringify(f)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await page.reload();
      const row = page.locator(`table.fleet tr[data-instance="${ENFORCER_ID}"]`);
      await row.getByText('ready', { exact: true }).waitFor();
      assert.equal(await row.locator('td').nth(2).textContent(), '2', 'its two partitions');
      await assertAccessible(page, 'global page');
      await screenshot(page, 'global');
    },
  );

  await t.test('sign out returns to the token form', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token (JWT)').waitFor();
    assert.equal(await storedToken(page), null);
    await assertAccessible(page, 'login page');
    await screenshot(page, 'login');
  });

  assert.deepEqual(errors, [], 'no uncaught errors in the page');
});

// biome-ignore lint/suspicious/noExplicitAny: JSON response bodies, asserted field by field
type Json = any;
