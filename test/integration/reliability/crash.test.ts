/**
 * Issue 9.1: SIGKILL the enforcer in the middle of 100,000 records, restart it. Every raw
 * offset has evidence, every repeat carries the same evidence_id, and the repeats are
 * bounded by the in-flight window (records consumed but not yet committed at the kill:
 * at most SF_ENFORCER_MAX_INFLIGHT not done, plus what completed within one commit interval).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withAdmin } from '../../../src/common/kafka-admin.js';
import { fromStart, readEvidence } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { coverage, duplicates, missing, ordersDataset } from '../../helpers/dataset.js';
import { waitMetric } from '../../helpers/metrics.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const N = 100_000;
const PARTITIONS = 6;
const MAX_INFLIGHT = 4000;
const COMMIT_MS = 200;

describe('reliability: crash', { timeout: 600_000 }, () => {
  it('loses no evidence across a SIGKILL and bounds the duplicates', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.crash');
    const evidenceTopic = unique('it.evidence.crash');
    await createTopics(brokers, [
      { topic: raw, numPartitions: PARTITIONS },
      { topic: evidenceTopic, numPartitions: PARTITIONS },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
    await produceAll(brokers, raw, orders(N, 99));
    const env = {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-crash'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_ENFORCER_MAX_INFLIGHT: String(MAX_INFLIGHT),
      SF_ENFORCER_COMMIT_INTERVAL_MS: String(COMMIT_MS),
    };
    const first = await startEnforcer(t, env, 'crash-victim');
    const started = Date.now();
    const atKill = await waitMetric(first.url, 'enforcer_records_total', { topic: raw }, (v) => v >= N * 0.3, 180_000);
    const rate = atKill / ((Date.now() - started) / 1000);
    await first.stop('SIGKILL');
    assert.ok(atKill < N, `killed mid-run (after ${atKill} records)`);

    await startEnforcer(t, env, 'crash-restarted');
    const run = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(PARTITIONS),
      until: (e) => coverage(e) >= N,
      timeoutMs: 300_000,
    });
    const ends = new Map(
      (await withAdmin(brokers, (a) => a.fetchTopicOffsets(raw))).map((p: { partition: number; high: string }) => [
        p.partition,
        Number(p.high),
      ]),
    );
    const gaps = missing(run.events, ends);
    const dups = duplicates(run.events);
    const window = MAX_INFLIGHT + Math.ceil(rate * ((COMMIT_MS + 500) / 1000));
    t.diagnostic(
      `records produced ${N}, evidence seen ${run.events.length}, missing ${gaps.length}, duplicates ${dups.count} (bound ${window}; killed after ${atKill} at ${Math.round(rate)} rec/s)`,
    );
    assert.deepEqual(gaps.slice(0, 10), [], 'every raw offset has evidence');
    assert.deepEqual(dups.mismatched.slice(0, 10), [], 'repeats carry the same evidence_id');
    assert.ok(dups.count <= window, `duplicates ${dups.count} within the in-flight window ${window}`);
  });
});
