/**
 * Shadow policies (issue 18 item 5) on the real broker: a candidate contract (customer_id optional,
 * currency USD only) is attached as shadow; the enforcer judges live records by both, acts only on
 * the active verdict, emits shadow evidence to its own topic, and the control plane reports the
 * exact verdict differences by reason code. Promotion is one audited call; afterwards the
 * enforcer emits no shadow evidence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawCall } from '../../../src/common/control-plane-api.js';
import { fromStart, readEvidence, readMessages } from '../../../src/dev/evidence-reader.js';
import { ordersExample } from '../../../src/dev/examples.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { api } from '../../../src/dev/services.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const MIX = { missing_customer: 0.15, bad_currency: 0.05, undeclared_pii: 0, poison: 0 };
const N = 300;
const MISSING = 'MISSING_FIELD:customer_id';
const ENUM = 'NOT_IN_ENUM:currency';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies, asserted field by field
type Json = any;

/** What the candidate must say about a record, from the active verdict and the record itself. */
function expectedShadowCodes(active: string[], currency: unknown): string[] {
  const codes = new Set(active.filter((c) => c !== MISSING));
  if (currency !== 'USD') codes.add(ENUM);
  return [...codes];
}

describe('shadow policies', { timeout: 300_000 }, () => {
  it('judges live traffic by the candidate without acting, reports exact differences, promotes in one call', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.shadow');
    const evidenceTopic = unique('it.evidence.shadow');
    const shadowTopic = unique('it.evidence.shadow.sh');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 2 },
      { topic: evidenceTopic, numPartitions: 2 },
      { topic: shadowTopic, numPartitions: 2 },
    ]);
    const cp = await startControlPlane(t, { SF_SHADOW_EVIDENCE_TOPIC: shadowTopic });
    const { urn } = await ordersDataset(cp, raw);
    const path = (sub: string) => `/v1/datasets/${encodeURIComponent(urn)}/${sub}`;

    const contract = ordersExample.contract();
    const candidateId = `dc:${unique('orders-candidate').replace(/\./g, '-')}:4`;
    await cp.put(`/v1/contracts/${candidateId}`, {
      ...contract,
      contract_id: candidateId,
      fields: contract.fields.map((f) =>
        f.path === 'customer_id' ? { ...f, required: false } : f.path === 'currency' ? { ...f, enum: ['USD'] } : f,
      ),
    });
    const candidate = { ...ordersExample.policy(), dataset_urn: urn, contract_id: candidateId };
    const none = await api(cp.url, cp.admin, 'GET', path('policy/shadow'));
    assert.equal((none.body as Json).error.code, 'SHADOW_NOT_FOUND');
    const attach = await api(cp.url, cp.admin, 'PUT', path('policy/shadow'), candidate);
    assert.equal(attach.status, 201);
    assert.equal((attach.body as Json).based_on_version, 1);
    const unknownContract = await api(cp.url, cp.admin, 'PUT', path('policy/shadow'), {
      ...candidate,
      contract_id: 'dc:nope:1',
    });
    assert.equal((unknownContract.body as Json).error.code, 'UNKNOWN_CONTRACT', 'a candidate is checked like a policy');

    const records = [...orders(N, 5, MIX)];
    await produceAll(brokers, raw, records);
    await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-shadow'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_SHADOW_EVIDENCE_TOPIC: shadowTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_POLICY_REFRESH_MS: '500',
    });
    const ev = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(2),
      until: (e) => e.length >= N,
      timeoutMs: 90_000,
    });
    assert.ok(ev.done, `evidence for ${N} records (saw ${ev.events.length})`);
    const sh = await readMessages({
      brokers,
      topic: shadowTopic,
      from: fromStart(2),
      until: (m) => m.length >= N,
      timeoutMs: 30_000,
    });
    assert.equal(sh.messages.length, N, 'one shadow evidence event per record of the dataset');
    for (const m of sh.messages) {
      const e = JSON.parse(String(m.value)) as Json;
      assert.equal(e.stage, 'SHADOW');
      assert.equal(e.enforcement.mode, 'SHADOW');
      assert.equal(e.enforcement.action, 'NONE', 'the candidate never acts');
      assert.equal(e.shadow_of.policy_version, 1);
    }

    // The oracle: the active verdict plus what the candidate changes (customer_id optional, USD only).
    const currency = new Map(records.map((r) => [r.key.toString(), JSON.parse(String(r.value)).currency]));
    const want = { unchanged: 0, p2f: 0, f2p: 0, changed: 0 };
    for (const e of ev.events as EvidenceEvent[]) {
      const active = e.validation.reason_codes;
      assert.equal(
        e.enforcement?.action,
        e.validation.result === 'PASS' ? 'NONE' : 'QUARANTINED',
        'actions by the active policy',
      );
      const next = expectedShadowCodes(active, currency.get(String(e.source.key)));
      if (active.length === 0 && next.length === 0) want.unchanged++;
      else if (active.length === 0) want.p2f++;
      else if (next.length === 0) want.f2p++;
      else if (next.length !== active.length || next.some((c) => !active.includes(c))) want.changed++;
      else want.unchanged++;
    }
    assert.ok(want.p2f > 20 && want.f2p > 5 && want.changed > 0, `a real mix: ${JSON.stringify(want)}`);

    const report = await api(cp.url, cp.admin, 'GET', path('policy/shadow/report'));
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.deepEqual(report.body, {
      dataset_urn: urn,
      shadow_version: 1,
      records: N,
      unchanged: want.unchanged,
      pass_to_fail: { records: want.p2f, by_reason: { [ENUM]: want.p2f } },
      fail_to_pass: { records: want.f2p, by_reason: { [MISSING]: want.f2p } },
      fail_codes_changed: want.changed,
      active_versions: [1],
    });
    t.diagnostic(`shadow report: ${JSON.stringify(want)}`);

    const stale = await rawCall(cp.url, cp.admin, 'POST', path('policy/shadow/promote'), undefined, {
      headers: { 'if-match': '"7"' },
    });
    assert.equal(stale.status, 412, 'only the reviewed candidate version is promoted');
    const promoted = await rawCall(cp.url, cp.admin, 'POST', path('policy/shadow/promote'), undefined, {
      headers: { 'if-match': '"1"' },
    });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal((promoted.body as Json).version, 2);
    assert.equal((promoted.body as Json).contract_id, candidateId);
    assert.equal((await api(cp.url, cp.admin, 'GET', path('policy/shadow'))).status, 404, 'detached');
    const audit = await api(cp.url, cp.admin, 'GET', `/v1/audit?target=${encodeURIComponent(urn)}&limit=3`);
    assert.deepEqual(
      (audit.body as Json).items.map((e: Json) => e.action),
      ['shadow.detach', 'policy.promote', 'shadow.attach'],
    );
    const v2 = await api(cp.url, cp.admin, 'GET', path('policy/versions/2'));
    assert.equal((v2.body as Json).contract_id, candidateId, 'the promoted body is in the policy history');

    // No shadow attached: new records get active evidence by the promoted policy, no shadow evidence.
    await new Promise((r) => setTimeout(r, 2000));
    await produceAll(brokers, raw, [...orders(20, 99, MIX, N)]);
    const more = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(2),
      until: (e) => e.length >= N + 20,
      timeoutMs: 60_000,
    });
    assert.ok(more.done);
    const late = (more.events as EvidenceEvent[]).filter((e) => e.source.offset >= 0 && e.policy_version === 2);
    assert.equal(late.length, 20, 'judged by the promoted version');
    const after = await readMessages({
      brokers,
      topic: shadowTopic,
      from: fromStart(2),
      until: (m) => m.length > N,
      timeoutMs: 3000,
    });
    assert.equal(after.messages.length, N, 'no shadow evidence once nothing is attached');
  });
});
