/**
 * Issue 9.6: a second enforcer joins the group mid-run and later leaves. No evidence is
 * missing, repeats keep their evidence_id, and neither process ever commits for a
 * partition it does not own at that moment (checked against each process's own
 * assignment timeline, read from its JSON logs: 'partitions assigned' / 'partitions
 * revoked' / 'commit' entries, in order).
 *
 * Regression (found by this test in CI): with a small in-flight bound the enforcer pauses
 * its partitions often; librdkafka keeps an application pause on a partition across
 * unassign/assign, so a partition paused before the join rebalance came back paused and was
 * never fetched again (a whole partition without evidence). The assign hook now sets the
 * pause state of every newly assigned partition explicitly.
 *
 * Records arrive while both rebalances happen: a first part is produced up front, the rest
 * at a steady pace in the background. (The test used to load everything up front and rely on
 * the enforcer being slow; since flow control holds instead of pausing (issue 14), one
 * enforcer drained the whole backlog before the second one joined.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { withAdmin } from '../../../src/common/kafka-admin.js';
import { fromStart, readEvidence } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { coverage, duplicates, missing, ordersDataset } from '../../helpers/dataset.js';
import { waitMetric } from '../../helpers/metrics.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const N = 60_000;

/** Replays one process's log: returns commits made for partitions it did not own then. */
function foreignCommits(logFile: string): { commits: number; foreign: string[]; assignments: number } {
  const owned = new Set<string>();
  let commits = 0;
  let assignments = 0;
  const foreign: string[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { msg?: string; partitions?: string[]; commits?: string[] };
    if (e.msg === 'partitions assigned') {
      assignments++;
      for (const p of e.partitions ?? []) owned.add(p);
    } else if (e.msg === 'partitions revoked') {
      for (const p of e.partitions ?? []) owned.delete(p);
    } else if (e.msg === 'commit' || e.msg === 'commit on revoke') {
      for (const c of e.commits ?? []) {
        commits++;
        const tp = c.slice(0, c.lastIndexOf('@'));
        if (!owned.has(tp)) foreign.push(c);
      }
    }
  }
  return { commits, foreign, assignments };
}

describe('reliability: rebalance', { timeout: 600_000 }, () => {
  it('keeps evidence complete and commits only owned partitions while a second enforcer joins and leaves', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.rebalance');
    const evidenceTopic = unique('it.evidence.rebalance');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 6 },
      { topic: evidenceTopic, numPartitions: 6 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
    const upFront = Math.round(N * 0.3);
    await produceAll(brokers, raw, orders(upFront, 31));
    const env = {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-rebalance'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_LOG_LEVEL: 'debug',
      SF_ENFORCER_COMMIT_INTERVAL_MS: '100',
      // Small batches and in-flight bound: the loop holds often, across both rebalances.
      SF_ENFORCER_BATCH_SIZE: '64',
      SF_ENFORCER_MAX_INFLIGHT: '512',
    };
    const a = await startEnforcer(t, env, 'rebalance-a');
    await waitMetric(a.url, 'enforcer_records_total', { topic: raw }, (v) => v >= N * 0.15, 180_000);
    // The rest at ~2,000 records/s, so records keep arriving while B joins, works and leaves.
    const rest = (async () => {
      for (let at = upFront; at < N; at += 2000) {
        await produceAll(brokers, raw, orders(Math.min(2000, N - at), 31, undefined, at));
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const b = await startEnforcer(t, env, 'rebalance-b');
    const bDid = await waitMetric(b.url, 'enforcer_records_total', { topic: raw }, (v) => v >= 3000, 180_000);
    assert.ok(bDid >= 3000, `the joiner took partitions and worked (${bDid} records)`);
    assert.equal(await b.stop('SIGTERM'), 0, 'the joiner leaves gracefully');
    await rest;

    const run = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(6),
      until: (e) => coverage(e) >= N,
      timeoutMs: 300_000,
    });
    await a.stop('SIGTERM');
    const ends = new Map(
      (await withAdmin(brokers, (x) => x.fetchTopicOffsets(raw))).map((p: { partition: number; high: string }) => [
        p.partition,
        Number(p.high),
      ]),
    );
    const gaps = missing(run.events, ends);
    const dups = duplicates(run.events);
    const ca = foreignCommits(a.logFile);
    const cb = foreignCommits(b.logFile);
    t.diagnostic(
      `records produced ${N}, evidence seen ${run.events.length}, missing ${gaps.length}, duplicates ${dups.count}; commits A ${ca.commits} (assignments ${ca.assignments}), B ${cb.commits} (assignments ${cb.assignments}), foreign ${ca.foreign.length + cb.foreign.length}`,
    );
    assert.deepEqual(gaps.slice(0, 10), []);
    assert.deepEqual(dups.mismatched, []);
    assert.ok(ca.assignments >= 3, `A went through join and leave rebalances (${ca.assignments} assignments)`);
    assert.ok(ca.commits > 0 && cb.commits > 0, 'both processes committed');
    assert.deepEqual([...ca.foreign, ...cb.foreign], [], 'no commit for a partition the process did not own');
  });
});
