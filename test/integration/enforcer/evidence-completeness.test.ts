/**
 * Issue 4 acceptance on the real broker and moto: a few thousand records over several
 * partitions (passing, failing and poison) each get exactly one evidence event with the
 * verdict their kind calls for; every FAIL is quarantined in S3; committed offsets reach
 * the end of every partition and never pass a record without evidence; a restart resumes
 * from the commits with no gap, and any repeat carries the same evidence_id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from '../../../src/common/aws.js';
import { commonConfig } from '../../../src/common/config.js';
import { withAdmin } from '../../../src/common/kafka-admin.js';
import { fromStart, readEvidence } from '../../../src/dev/evidence-reader.js';
import { type GeneratedRecord, orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const MIX = { missing_customer: 0.05, bad_currency: 0.03, undeclared_pii: 0.02, poison: 0.01 };
const PARTITIONS = 6;

/** What the gates must say for each kind of generated record. */
function expectVerdict(kind: GeneratedRecord['kind'], e: EvidenceEvent): void {
  const v = e.validation;
  const where = `${e.source.partition}/${e.source.offset} (${kind})`;
  switch (kind) {
    case 'valid':
      assert.equal(v.result, 'PASS', `${where}: ${JSON.stringify(v)}`);
      break;
    case 'missing_customer':
      assert.deepEqual(
        [v.result, v.failed_gates, v.reason_codes],
        ['FAIL', ['CONTRACT'], ['MISSING_FIELD:customer_id']],
        where,
      );
      break;
    case 'bad_currency':
      assert.deepEqual(
        [v.result, v.failed_gates, v.reason_codes],
        ['FAIL', ['CONTRACT'], ['NOT_IN_ENUM:currency']],
        where,
      );
      break;
    case 'undeclared_pii':
      assert.equal(v.result, 'FAIL', where);
      assert.deepEqual(v.failed_gates, ['PII'], where);
      assert.ok(
        v.reason_codes.some((r) => r.startsWith('UNDECLARED_PII') && r.endsWith('notes')),
        `${where}: ${v.reason_codes}`,
      );
      break;
    default:
      assert.equal(v.result, 'FAIL', where);
      assert.deepEqual(v.failed_gates, ['ENVELOPE'], `${where}: ${JSON.stringify(v)}`);
  }
}

async function committedOffsets(brokers: string, groupId: string, topic: string): Promise<Map<number, number>> {
  const res = await withAdmin(brokers, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return new Map(
    res[0]?.partitions.map((p: { partition: number; offset: string }) => [p.partition, Number(p.offset)]) ?? [],
  );
}

async function highWatermarks(brokers: string, topic: string): Promise<Map<number, number>> {
  const res = await withAdmin(brokers, (admin) => admin.fetchTopicOffsets(topic));
  return new Map(res.map((p: { partition: number; high: string }) => [p.partition, Number(p.high)]));
}

describe('enforcer: evidence completeness on the real broker', { timeout: 300_000 }, () => {
  it('emits one correct evidence per record, quarantines every FAIL, commits to the end, resumes without gaps', async (t) => {
    const { brokers } = stackEnv();
    const cfg = commonConfig();
    const raw = unique('it.raw.orders');
    const evidenceTopic = unique('it.evidence');
    const prefix = unique('it-quarantine');
    const group = unique('it-enforcer');
    await createTopics(brokers, [
      { topic: raw, numPartitions: PARTITIONS },
      { topic: evidenceTopic, numPartitions: PARTITIONS },
    ]);

    const cp = await startControlPlane(t);
    const { urn } = await ordersDataset(cp, raw);
    const first = [...orders(3000, 7, MIX)];
    const kinds = new Map<string, GeneratedRecord['kind']>();
    for (const r of first) kinds.set(r.key.toString(), r.kind);
    assert.ok(
      first.some((r) => r.kind === 'tombstone') && first.some((r) => r.kind === 'invalid_utf8'),
      'mix has poison',
    );
    await produceAll(brokers, raw, first);

    const env = {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: group,
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_QUARANTINE_URI: `s3://sf-quarantine/${prefix}`,
      SF_ENFORCER_BATCH_SIZE: '256',
    };
    const enforcer = await startEnforcer(t, env);
    const coverage = (evs: EvidenceEvent[]) => new Set(evs.map((e) => `${e.source.partition}/${e.source.offset}`)).size;
    const run1 = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(PARTITIONS),
      until: (e) => coverage(e) >= 3000,
      timeoutMs: 120_000,
    });
    assert.ok(run1.done, `evidence for all 3000 records (saw ${coverage(run1.events)})`);
    assert.equal(run1.events.length, 3000, 'exactly one evidence per record in a run without crashes');
    for (const e of run1.events) {
      assert.equal(e.source.raw_topic, raw);
      assert.equal(e.dataset_urn, urn);
      expectVerdict(kinds.get(e.source.key ?? '') ?? 'tombstone', e);
    }
    const fails = run1.events.filter((e) => e.validation.result === 'FAIL');
    t.diagnostic(`records 3000, evidence ${run1.events.length}, FAIL ${fails.length}`);

    // Offsets: committed == end of every partition once drained (never beyond evidence).
    const highs = await highWatermarks(brokers, raw);
    let committed = new Map<number, number>();
    for (let i = 0; i < 40; i++) {
      committed = await committedOffsets(brokers, group, raw);
      if ([...highs].every(([p, h]) => committed.get(p) === h)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(committed, highs, 'committed offsets reach each partition end');

    // Quarantine: one S3 object per FAIL, holding that record's evidence.
    const s3 = s3Client(cfg);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'sf-quarantine', Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    assert.equal(keys.length, fails.length, 'one quarantine object per FAIL');
    for (const f of fails)
      assert.ok(
        keys.some((k) => k.endsWith(`/${f.source.offset}-${f.evidence_id}.json`)),
        f.evidence_id,
      );
    const sample = await s3.send(new GetObjectCommand({ Bucket: 'sf-quarantine', Key: keys[0] }));
    assert.equal(sample.ServerSideEncryption, 'AES256', 'quarantine objects are server-side encrypted');
    const body = JSON.parse(await sample.Body!.transformToString());
    assert.equal(body.evidence.validation.result, 'FAIL');
    assert.equal(body.record.topic, raw);

    // Restart: graceful stop, more records, a new process resumes from the commits.
    assert.equal(await enforcer.stop('SIGTERM'), 0, 'graceful shutdown exits 0');
    const second = [...orders(500, 7, MIX, 3000)];
    for (const r of second) kinds.set(r.key.toString(), r.kind);
    await produceAll(brokers, raw, second);
    await startEnforcer(t, env, 'enforcer-restarted');
    const run2 = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(PARTITIONS),
      until: (e) => coverage(e) >= 3500,
      timeoutMs: 120_000,
    });
    assert.ok(run2.done, `evidence for all 3500 records after restart (saw ${coverage(run2.events)})`);
    const byOffset = new Map<string, string>();
    let duplicates = 0;
    for (const e of run2.events) {
      const k = `${e.source.partition}/${e.source.offset}`;
      const prev = byOffset.get(k);
      if (prev !== undefined) {
        duplicates++;
        assert.equal(prev, e.evidence_id, `a repeat of ${k} carries the same evidence_id`);
      }
      byOffset.set(k, e.evidence_id);
      expectVerdict(kinds.get(e.source.key ?? '') ?? 'tombstone', e);
    }
    t.diagnostic(`after restart: records 3500, evidence ${run2.events.length}, duplicates ${duplicates}`);
    // Every offset of every partition has evidence: no gap.
    const highs2 = await highWatermarks(brokers, raw);
    for (const [p, h] of highs2)
      for (let o = 0; o < h; o++) assert.ok(byOffset.has(`${p}/${o}`), `evidence for ${p}/${o}`);
  });
});
