/**
 * Issue 13, item 11 (c, d) on the real broker:
 * - every assigned partition has an `enforcer_consumer_lag` series, also one that received
 *   nothing since start (before: only partitions this process had committed, 12 of 21 missing);
 * - after a SIGKILL, a restart with the same SF_ENFORCER_INSTANCE_ID (static membership) gets
 *   its partitions back at once instead of after the session timeout (before: 44 s);
 * - /readyz stays 503, saying why, until the group assigned partitions (before: ready at 1 s,
 *   partitions at 44 s).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { freePort, spawnCommand } from '../../../src/dev/services.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { metricValues, scrape, waitMetric } from '../../helpers/metrics.js';
import { createTopics, LOG_DIR, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

describe('enforcer: assignment, lag series, static membership', { timeout: 300_000 }, () => {
  it('has a lag series for every assigned partition, also idle ones', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.lag');
    const evidenceTopic = unique('it.evidence.lag');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 4 },
      { topic: evidenceTopic, numPartitions: 1 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw);
    // Records on partition 0 only: partitions 1-3 receive nothing since start.
    await produceAll(
      brokers,
      raw,
      [...orders(50, 3)].map((r) => ({ ...r, partition: 0 })),
    );
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-lag'),
      SF_CONTROL_PLANE_URL: cp.url,
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_LAG_REFRESH_MS: '300',
    });
    await waitMetric(enforcer.url, 'enforcer_records_total', { topic: raw }, (v) => v >= 50, 60_000);
    let partitions: string[] = [];
    for (let i = 0; i < 40; i++) {
      const text = await scrape(enforcer.url);
      partitions = text
        .split('\n')
        .filter((l) => l.startsWith('enforcer_consumer_lag{') && l.includes(`topic="${raw}"`))
        .map((l) => /partition="(\d+)"/.exec(l)?.[1] ?? '?')
        .sort();
      if (partitions.length === 4 && metricValues(text, 'enforcer_consumer_lag', { topic: raw }).every((v) => v === 0))
        break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(partitions, ['0', '1', '2', '3'], 'one series per assigned partition');
    const values = metricValues(await scrape(enforcer.url), 'enforcer_consumer_lag', { topic: raw });
    assert.deepEqual(values, [0, 0, 0, 0], 'drained: no lag anywhere');
  });

  it('is not ready before its partitions are assigned, and a static member gets them back at once after SIGKILL', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.static');
    await createTopics(brokers, [{ topic: raw, numPartitions: 3 }]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw);
    const base = { SF_ENFORCER_TOPICS: raw, SF_CONTROL_PLANE_URL: cp.url, SF_EVIDENCE_TOPIC: unique('it.ev.static') };

    // Dynamic membership: the dead member holds its partitions until the session times out.
    const dynamicGroup = unique('it-dynamic');
    const first = await startEnforcer(t, { ...base, SF_ENFORCER_GROUP_ID: dynamicGroup }, 'dynamic-a');
    await first.stop('SIGKILL');
    const port = await freePort();
    const second = spawnCommand({
      name: unique('dynamic-b'),
      command: 'enforcer',
      env: { ...base, SF_ENFORCER_GROUP_ID: dynamicGroup, SF_ENFORCER_HTTP_PORT: String(port), SF_WORKERS: '1' },
      logDir: LOG_DIR,
      capture: true,
    });
    t.after(() => second.stop('SIGKILL'));
    const spawned = Date.now();
    const reasons = new Set<string>();
    let readyAt = 0;
    while (Date.now() - spawned < 120_000) {
      try {
        const res = await request(`http://127.0.0.1:${port}/readyz`, { headersTimeout: 2000 });
        const body = (await res.body.json()) as { reasons: string[] };
        if (res.statusCode === 200) {
          readyAt = Date.now();
          break;
        }
        for (const r of body.reasons) reasons.add(r);
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const assignedLine = second.output().find((l) => l.includes('"partitions assigned"'));
    assert.ok(readyAt > 0 && assignedLine, 'ready in the end, with partitions');
    const assignedAt = Date.parse((JSON.parse(assignedLine) as { time: string }).time);
    t.diagnostic(
      `dynamic restart: ready after ${readyAt - spawned} ms, assigned after ${assignedAt - spawned} ms; reasons seen: ${[...reasons].join('; ')}`,
    );
    assert.ok(reasons.has('waiting for the consumer group to assign partitions'), 'the reason is given');
    assert.ok(readyAt >= assignedAt, 'not ready before the assignment');

    // Static membership: the same instance id takes its partitions back without a rebalance.
    const staticEnv = { ...base, SF_ENFORCER_GROUP_ID: unique('it-static'), SF_ENFORCER_INSTANCE_ID: 'enforcer-0' };
    const a = await startEnforcer(t, staticEnv, 'static-a');
    await a.stop('SIGKILL');
    const restarted = Date.now();
    await startEnforcer(t, staticEnv, 'static-b'); // resolves when /readyz is 200, i.e. assigned
    const staticMs = Date.now() - restarted;
    t.diagnostic(`static restart: ready (assigned) after ${staticMs} ms`);
    assert.ok(staticMs < 20_000, `a static member is back within 20 s (took ${staticMs} ms)`);
  });
});
