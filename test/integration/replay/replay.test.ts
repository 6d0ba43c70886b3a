/**
 * Replay from quarantine (issue 18 item 3) on the real broker and moto S3: records quarantined
 * for a missing customer_id pass once the contract stops requiring it; `signal-factory replay`
 * republishes exactly those, with headers linking their original evidence, audits the run, and
 * a second run republishes nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { fromStart, readEvidence, readMessages } from '../../../src/dev/evidence-reader.js';
import { ordersExample } from '../../../src/dev/examples.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { api, REPO_ROOT } from '../../../src/dev/services.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const run = promisify(execFile);
const BIN = `${REPO_ROOT}/bin/signal-factory.js`;
const MIX = { missing_customer: 0.15, bad_currency: 0.1, undeclared_pii: 0, poison: 0 };

interface Line {
  original_evidence_id: string;
  action: string;
  result: string;
  replay_evidence_id: string;
}

async function replayCli(args: string[], env: Record<string, string>) {
  try {
    const r = await run(process.execPath, [BIN, 'replay', ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const lines = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
const count = (ls: Line[], action: string) => ls.filter((l) => l.action === action).length;

describe('signal-factory replay', { timeout: 300_000 }, () => {
  it('republishes what now passes once, with provenance headers, and audits each run', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.replay');
    const blessed = unique('it.blessed.replay');
    const evidenceTopic = unique('it.evidence.replay');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 2 },
      { topic: blessed, numPartitions: 1 },
      { topic: evidenceTopic, numPartitions: 2 },
    ]);
    const quarantineUri = `s3://sf-quarantine/${unique('replay')}`;
    const cp = await startControlPlane(t);
    const { urn } = await ordersDataset(cp, raw, { blessed_topic: blessed });
    const records = [...orders(200, 7, MIX)].map((r) => ({ ...r, headers: [{ 'x-note': `n-${r.key}` }] }));
    await produceAll(brokers, raw, records);
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-replay'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_QUARANTINE_URI: quarantineUri,
    });
    const ev = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(2),
      until: (e) => e.length >= 200,
      timeoutMs: 90_000,
    });
    assert.ok(ev.done, `evidence for 200 records (saw ${ev.events.length})`);
    await enforcer.stop();
    const fails = ev.events.filter((e) => e.validation.result === 'FAIL');
    const missing = fails.filter((e) => e.validation.reason_codes.includes('MISSING_FIELD:customer_id'));
    const missingOnly = missing.filter((e) => e.validation.reason_codes.length === 1);
    assert.ok(missingOnly.length >= 10 && fails.length - missingOnly.length >= 5, 'a real mix of failures');
    for (const e of fails) assert.equal(e.enforcement?.action, 'QUARANTINED');

    // Fix the policy: a new contract version in which customer_id is optional.
    const contract = ordersExample.contract();
    const fixedId = `dc:${unique('orders-fixed').replace(/\./g, '-')}:4`;
    await cp.put(`/v1/contracts/${fixedId}`, {
      ...contract,
      contract_id: fixedId,
      fields: contract.fields.map((f) => (f.path === 'customer_id' ? { ...f, required: false } : f)),
    });
    await cp.put(`/v1/datasets/${urn}/policy`, {
      ...ordersExample.policy(),
      dataset_urn: urn,
      contract_id: fixedId,
      blessed_topic: blessed,
    });

    const env = { SF_CONTROL_PLANE_URL: cp.url, SF_QUARANTINE_URI: quarantineUri };
    const expected = new Set(missingOnly.map((e) => e.evidence_id));

    const dry = await replayCli(['--dataset', urn, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const dryLines = lines(dry.stdout);
    assert.equal(dryLines.length, fails.length, 'every quarantined record is reported');
    assert.equal(count(dryLines, 'WOULD_REPUBLISH'), expected.size);
    assert.equal(count(dryLines, 'STILL_FAILS'), fails.length - expected.size);

    const reasonOnly = await replayCli(['--dataset', urn, '--dry-run', '--reason', 'MISSING_FIELD:customer_id'], env);
    assert.equal(lines(reasonOnly.stdout).length, missing.length, '--reason narrows to records with that code');
    const future = await replayCli(
      ['--dataset', urn, '--dry-run', '--since', '1d', '--until', '2999-01-01T00:00:00Z'],
      env,
    );
    assert.equal(lines(future.stdout).length, fails.length, 'the whole window is in scope');
    const past = await replayCli(['--dataset', urn, '--dry-run', '--until', '2000-01-01T00:00:00Z'], env);
    assert.equal(lines(past.stdout).length, 0, 'nothing before the records');

    const first = await replayCli(['--dataset', urn], env);
    assert.equal(first.code, 0, first.stderr);
    const firstLines = lines(first.stdout);
    assert.equal(count(firstLines, 'REPUBLISHED'), expected.size);
    assert.deepEqual(
      new Set(firstLines.filter((l) => l.action === 'REPUBLISHED').map((l) => l.original_evidence_id)),
      expected,
    );
    assert.match(first.stderr, new RegExp(`${expected.size} republished to ${blessed.replace(/\./g, '\\.')}`));

    const out = await readMessages({
      brokers,
      topic: blessed,
      from: fromStart(1),
      until: (m) => m.length >= expected.size,
      timeoutMs: 30_000,
    });
    assert.equal(out.messages.length, expected.size);
    const byKey = new Map(records.map((r) => [r.key.toString(), r]));
    const replayIds = new Map(firstLines.map((l) => [l.original_evidence_id, l.replay_evidence_id]));
    for (const m of out.messages) {
      const h = Object.assign({}, ...(m.headers ?? [])) as Record<string, Buffer>;
      const original = h['sf-original-evidence-id'].toString();
      assert.ok(expected.has(original), 'links a quarantined record');
      assert.equal(h['sf-evidence-id'].toString(), replayIds.get(original), 'the new PASS evidence id');
      assert.notEqual(h['sf-evidence-id'].toString(), original, 'a new policy version, a new evidence id');
      assert.match(h['sf-source'].toString(), new RegExp(`^${raw.replace(/\./g, '\\.')}/\\d/\\d+$`));
      assert.ok(h['sf-replay-id'].length > 0);
      const src = byKey.get(String(m.key));
      assert.ok(src?.value && m.value?.equals(src.value), 'key and value unchanged');
      assert.equal(h['x-note'].toString(), `n-${src?.key}`, 'original headers kept');
    }

    const second = await replayCli(['--dataset', urn], env);
    assert.equal(second.code, 0, second.stderr);
    const secondLines = lines(second.stdout);
    assert.equal(count(secondLines, 'REPUBLISHED'), 0, 'a second run republishes nothing');
    assert.equal(count(secondLines, 'ALREADY_REPLAYED'), expected.size);
    const settled = await readMessages({
      brokers,
      topic: blessed,
      from: fromStart(1),
      until: (m) => m.length > expected.size,
      timeoutMs: 3000,
    });
    assert.equal(settled.messages.length, expected.size, 'nothing republished twice');

    const audit = await api(cp.url, cp.admin, 'GET', `/v1/audit?target=${encodeURIComponent(urn)}&limit=10`);
    const runs = (audit.body as { items: Array<{ action: string; details: Record<string, number> }> }).items.filter(
      (e) => e.action === 'replay.run',
    );
    assert.deepEqual(
      runs.map((r) => [r.details.republished, r.details.already_replayed, r.details.still_fail]),
      [
        [0, expected.size, fails.length - expected.size],
        [expected.size, 0, fails.length - expected.size],
      ],
      'two audited runs (dry runs are not audited), newest first',
    );
    t.diagnostic(`quarantined ${fails.length}, now pass ${expected.size}, republished once each`);
  });

  it('refuses bad usage with exit 2 and a clear message', async () => {
    const noDataset = await replayCli([], {});
    assert.equal(noDataset.code, 2);
    assert.match(noDataset.stderr, /--dataset <urn> is required/);
    const badTime = await replayCli(['--dataset', 'urn:dp:x:y', '--since', 'yesterday'], {});
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--since must be an ISO 8601 time/);
    const noUri = await replayCli(['--dataset', 'urn:dp:x:y'], { SF_QUARANTINE_URI: '' });
    assert.equal(noUri.code, 2);
    assert.match(noUri.stderr, /SF_QUARANTINE_URI is required/);
  });
});
