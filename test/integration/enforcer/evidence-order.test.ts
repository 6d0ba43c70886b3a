/**
 * Issue 13, item 11 (a, b) on the real broker and moto, with QUARANTINE_ON_FAIL and a mixed
 * PASS / FAIL stream:
 * - a raw partition's evidence reaches the evidence topic in offset order (the README's
 *   promise; a black-box run saw 191, 192, 193, 85, 86 before the fix);
 * - evidence that says QUARANTINED is published only once its S3 object exists: a reader that
 *   follows the evidence to S3 at once finds the object (before the fix, up to ~9 s of 404s).
 * Several workers and a small in-flight bound make batches finish out of order and make
 * consumption pause and resume, the conditions the black-box run had.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../../src/common/aws.js';
import { commonConfig } from '../../../src/common/config.js';
import { fromStart, readMessages } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { quarantineKey } from '../../../src/main/actions.js';
import type { EvidenceEvent } from '../../../src/models/evidence.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const PARTITIONS = 6;
const RECORDS = 12_000;
const MIX = { missing_customer: 0.15, bad_currency: 0.05, undeclared_pii: 0.02, poison: 0.01 };

/** Places, per raw partition, where an offset is not above the one before it. */
export function inversions(events: EvidenceEvent[]): string[] {
  const last = new Map<string, number>();
  const out: string[] = [];
  for (const e of events) {
    const k = `${e.source.raw_topic}/${e.source.partition}`;
    const prev = last.get(k);
    if (prev !== undefined && e.source.offset <= prev) out.push(`${k}: ${prev} then ${e.source.offset}`);
    last.set(k, e.source.offset);
  }
  return out;
}

describe('enforcer: evidence order and quarantine agreement', { timeout: 400_000 }, () => {
  it('keeps each raw partition in order and quarantines before saying QUARANTINED', async (t) => {
    const { brokers } = stackEnv();
    const s3 = s3Client(commonConfig());
    const raw = unique('it.raw.order');
    const evidenceTopic = unique('it.evidence.order');
    const prefix = unique('it-order-q');
    await createTopics(brokers, [
      { topic: raw, numPartitions: PARTITIONS },
      { topic: evidenceTopic, numPartitions: 3 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'QUARANTINE_ON_FAIL' });
    await produceAll(brokers, raw, orders(RECORDS, 11, MIX));
    await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-order'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_QUARANTINE_URI: `s3://sf-quarantine/${prefix}`,
      SF_WORKERS: '2',
      SF_ENFORCER_BATCH_SIZE: '64',
      SF_ENFORCER_MAX_INFLIGHT: '1500',
    });

    // Follow the evidence live; each QUARANTINED event is checked in S3 as soon as it is read.
    const events: EvidenceEvent[] = [];
    const checks: Array<Promise<string | null>> = [];
    const head = async (e: EvidenceEvent): Promise<string | null> => {
      const key = quarantineKey(prefix, {
        topic: e.source.raw_topic,
        partition: e.source.partition,
        offset: e.source.offset,
        timestamp: Date.parse(e.source.event_time ?? ''),
        key: null,
        value: null,
        headers: [],
        datasetUrn: e.dataset_urn,
        evidenceId: e.evidence_id,
        evidenceJson: Buffer.alloc(0),
      });
      try {
        await s3.send(new HeadObjectCommand({ Bucket: 'sf-quarantine', Key: key }));
        return null;
      } catch (err) {
        return `${e.source.partition}/${e.source.offset}: ${(err as Error).name}`;
      }
    };
    let seen = 0;
    const run = await readMessages({
      brokers,
      topic: evidenceTopic,
      from: fromStart(3),
      until: (msgs) => {
        for (; seen < msgs.length; seen++) {
          const v = msgs[seen].value;
          if (!v) continue;
          const e = JSON.parse(v.toString('utf8')) as EvidenceEvent;
          events.push(e);
          if (e.enforcement?.action === 'QUARANTINED') checks.push(head(e));
        }
        return events.length >= RECORDS;
      },
      timeoutMs: 300_000,
    });
    assert.ok(run.done, `evidence for all ${RECORDS} records (saw ${events.length})`);
    const quarantined = events.filter((e) => e.enforcement?.action === 'QUARANTINED').length;
    const passes = events.filter((e) => e.validation.result === 'PASS').length;
    const absent = (await Promise.all(checks)).filter((x) => x !== null);
    const inv = inversions(events);
    t.diagnostic(
      `records ${RECORDS}, evidence ${events.length} (PASS ${passes}, QUARANTINED ${quarantined}); ` +
        `inversions ${inv.length}; quarantined evidence read before its S3 object existed: ${absent.length}`,
    );
    assert.ok(quarantined > 1000 && passes > 5000, 'a mixed stream');
    assert.deepEqual(inv.slice(0, 10), [], 'each raw partition in offset order');
    assert.deepEqual(absent.slice(0, 10), [], 'every QUARANTINED evidence finds its S3 object');
  });
});
