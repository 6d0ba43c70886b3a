/**
 * REPUBLISH_PASS_ONLY on the real broker: only passing records reach the blessed topic,
 * unchanged (key, value, headers) plus provenance headers; and ops toggles from the control
 * plane reach a running enforcer within seconds (global safe mode stops republishing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromStart, readEvidence, readMessages } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const MIX = { missing_customer: 0.1, bad_currency: 0.05, undeclared_pii: 0, poison: 0.02 };

describe('enforcer: REPUBLISH_PASS_ONLY and ops toggles', { timeout: 240_000 }, () => {
  it('republishes exactly the passing records, unchanged, and stops when safe mode is switched on', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.rp');
    const blessed = unique('it.blessed');
    const evidenceTopic = unique('it.evidence.rp');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 3 },
      { topic: blessed, numPartitions: 3 },
      { topic: evidenceTopic, numPartitions: 3 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'REPUBLISH_PASS_ONLY', blessed_topic: blessed });
    const records = [...orders(1000, 11, MIX)].map((r) => ({ ...r, headers: [{ 'x-trace-note': `n-${r.key}` }] }));
    await produceAll(brokers, raw, records);
    await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-rp'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_POLICY_REFRESH_MS: '500',
    });
    const ev = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(3),
      until: (e) => e.length >= 1000,
      timeoutMs: 90_000,
    });
    assert.ok(ev.done, `evidence for 1000 records (saw ${ev.events.length})`);
    const passIds = new Set(ev.events.filter((e) => e.validation.result === 'PASS').map((e) => e.evidence_id));
    const failCount = ev.events.length - passIds.size;
    assert.ok(passIds.size > 700 && failCount > 50, `a real mix: ${passIds.size} PASS, ${failCount} FAIL`);
    for (const e of ev.events) {
      assert.equal(e.enforcement?.action, e.validation.result === 'PASS' ? 'REPUBLISHED' : 'NONE');
    }

    const out = await readMessages({
      brokers,
      topic: blessed,
      from: fromStart(3),
      until: (m) => m.length >= passIds.size,
      timeoutMs: 30_000,
    });
    // Give a wrongly republished FAIL a moment to show up before counting.
    const settled = await readMessages({
      brokers,
      topic: blessed,
      from: fromStart(3),
      until: (m) => m.length > passIds.size,
      timeoutMs: 2000,
    });
    assert.equal(settled.messages.length, passIds.size, 'only passing records reach the blessed topic');
    const original = new Map(records.map((r) => [r.key.toString(), r]));
    for (const m of out.messages) {
      const h = Object.assign({}, ...(m.headers ?? [])) as Record<string, Buffer>;
      assert.ok(passIds.has(h['sf-evidence-id'].toString()), 'republished record carries a PASS evidence id');
      const src = original.get(String(m.key));
      assert.ok(src, `key kept: ${m.key}`);
      assert.ok(m.value?.equals(src.value!), 'value unchanged');
      assert.equal(h['x-trace-note'].toString(), `n-${src.key}`, 'original headers kept');
    }
    t.diagnostic(`records 1000, PASS ${passIds.size} republished ${settled.messages.length}, FAIL ${failCount}`);

    // Ops toggle: global safe mode -> evidence only, no republish, within seconds.
    await cp.put('/v1/ops/global', { safe_mode: true });
    await new Promise((r) => setTimeout(r, 2500));
    const more = [...orders(200, 11, { missing_customer: 0, bad_currency: 0, undeclared_pii: 0, poison: 0 }, 5000)];
    await produceAll(brokers, raw, more);
    const ev2 = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(3),
      until: (e) => e.length >= 1200,
      timeoutMs: 60_000,
    });
    assert.ok(ev2.done);
    // Select by key, not by read order: the reader interleaves partitions.
    const moreKeys = new Set(more.map((r) => r.key.toString()));
    const late = ev2.events.filter((e) => moreKeys.has(e.source.key ?? '')) as EvidenceEvent[];
    assert.equal(late.length, 200);
    assert.ok(
      late.every((e) => e.validation.result === 'PASS' && e.enforcement?.action === 'PAUSED'),
      'safe mode: the republish is suppressed and the evidence says so',
    );
    const after = await readMessages({
      brokers,
      topic: blessed,
      from: fromStart(3),
      until: (m) => m.length > passIds.size,
      timeoutMs: 3000,
    });
    assert.equal(after.messages.length, passIds.size, 'nothing republished in safe mode');
  });
});
