/**
 * Issue 9.2 and 9.5 on a dedicated broker the test stops and restarts for real:
 * - the broker restarts mid-run: no missing evidence, the enforcer reconnects by itself;
 * - the evidence bus (a separate cluster, SF_EVIDENCE_BROKERS) is down: consumption pauses
 *   at the in-flight bound, memory stays bounded, nothing is committed without evidence,
 *   and everything flows after recovery.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureTopics, withAdmin } from '../../../src/common/kafka-admin.js';
import { fromStart, readEvidence } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { coverage, duplicates, missing, ordersDataset } from '../../helpers/dataset.js';
import { dedicatedBroker } from '../../helpers/faults.js';
import { metricSum, waitMetric } from '../../helpers/metrics.js';
import { stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const ends = async (brokers: string, topic: string) =>
  new Map(
    (await withAdmin(brokers, (a) => a.fetchTopicOffsets(topic))).map((p: { partition: number; high: string }) => [
      p.partition,
      Number(p.high),
    ]),
  );
const committed = async (brokers: string, groupId: string, topic: string) =>
  new Map(
    ((await withAdmin(brokers, (a) => a.fetchOffsets({ groupId, topics: [topic] })))[0]?.partitions ?? []).map(
      (p: { partition: number; offset: string }) => [p.partition, Number(p.offset)],
    ),
  );

describe('reliability: broker outages', { timeout: 600_000 }, () => {
  it('survives a broker restart mid-run without missing evidence', async (t) => {
    stackEnv();
    const broker = await dedicatedBroker(t);
    const raw = unique('it.raw.restart');
    const evidenceTopic = unique('it.evidence.restart');
    await withAdmin(broker.brokers, (a) =>
      ensureTopics(a, [
        { topic: raw, numPartitions: 4 },
        { topic: evidenceTopic, numPartitions: 4 },
      ]),
    );
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
    await produceAll(broker.brokers, raw, orders(20_000, 5));
    const enforcer = await startEnforcer(t, {
      SF_KAFKA_BROKERS: broker.brokers,
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-restart'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
    });
    await waitMetric(enforcer.url, 'enforcer_records_total', { topic: raw }, (v) => v >= 5000, 120_000);
    await broker.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await broker.start();
    // Records produced after the restart must flow too: the enforcer reconnected by itself.
    await produceAll(broker.brokers, raw, orders(5000, 5, undefined, 20_000));
    const run = await readEvidence({
      brokers: broker.brokers,
      topic: evidenceTopic,
      from: fromStart(4),
      until: (e) => coverage(e) >= 25_000,
      timeoutMs: 240_000,
    });
    const gaps = missing(run.events, await ends(broker.brokers, raw));
    const dups = duplicates(run.events);
    t.diagnostic(
      `records produced 25000, evidence seen ${run.events.length}, missing ${gaps.length}, duplicates ${dups.count}`,
    );
    assert.deepEqual(gaps.slice(0, 10), []);
    assert.deepEqual(dups.mismatched, []);
  });

  it('pauses with bounded memory while the evidence bus is down, commits nothing without evidence, then catches up', async (t) => {
    const { brokers } = stackEnv();
    const bus = await dedicatedBroker(t);
    const raw = unique('it.raw.busdown');
    const evidenceTopic = unique('it.evidence.busdown');
    await withAdmin(brokers, (a) => ensureTopics(a, [{ topic: raw, numPartitions: 4 }]));
    await withAdmin(bus.brokers, (a) => ensureTopics(a, [{ topic: evidenceTopic, numPartitions: 4 }]));
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
    const group = unique('it-busdown');
    const MAX_INFLIGHT = 2000;
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: group,
      SF_EVIDENCE_BROKERS: bus.brokers,
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_ENFORCER_MAX_INFLIGHT: String(MAX_INFLIGHT),
      SF_EVIDENCE_DELIVERY_TIMEOUT_MS: '5000',
    });
    await produceAll(brokers, raw, orders(1000, 8));
    await readEvidence({
      brokers: bus.brokers,
      topic: evidenceTopic,
      from: fromStart(4),
      until: (e) => coverage(e) >= 1000,
      timeoutMs: 60_000,
    });

    await bus.stop();
    await produceAll(brokers, raw, orders(30_000, 8, undefined, 1000));
    const paused = await waitMetric(enforcer.url, 'enforcer_paused_partitions', {}, (v) => v > 0, 60_000);
    assert.ok(paused > 0, 'consumption pauses when the evidence bus is down');
    const rssSamples: number[] = [];
    for (let i = 0; i < 10; i++) {
      rssSamples.push(await metricSum(enforcer.url, 'process_resident_memory_bytes'));
      await new Promise((r) => setTimeout(r, 500));
    }
    const inFlight = await metricSum(enforcer.url, 'enforcer_inflight_records');
    const records = await metricSum(enforcer.url, 'enforcer_records_total', { topic: raw });
    const during = await committed(brokers, group, raw);
    const committedTotal = [...during.values()].reduce((a, b) => a + b, 0);
    assert.ok(inFlight <= MAX_INFLIGHT + 512, `in-flight ${inFlight} stays at the bound`);
    assert.ok(records < 31_000, `consumption stopped short of the backlog (${records} evaluated)`);
    assert.ok(committedTotal <= 1000 + 0, `nothing committed beyond records with evidence (${committedTotal})`);
    const peakRss = Math.max(...rssSamples);
    assert.ok(peakRss < 400 * 1024 * 1024, `RSS ${Math.round(peakRss / 1048576)} MB stays bounded`);
    // Deliveries time out after SF_EVIDENCE_DELIVERY_TIMEOUT_MS (5 s): each is counted, then retried.
    const emitErrorsDuring = await waitMetric(
      enforcer.url,
      'enforcer_evidence_emit_errors_total',
      {},
      (v) => v > 0,
      60_000,
    );
    assert.ok(emitErrorsDuring > 0, `failed deliveries are counted while the bus is down (${emitErrorsDuring})`);

    await bus.start();
    const run = await readEvidence({
      brokers: bus.brokers,
      topic: evidenceTopic,
      from: fromStart(4),
      until: (e) => coverage(e) >= 31_000,
      timeoutMs: 300_000,
    });
    const gaps = missing(run.events, await ends(brokers, raw));
    const emitErrors = await metricSum(enforcer.url, 'enforcer_evidence_emit_errors_total');
    t.diagnostic(
      `records produced 31000, evidence seen ${run.events.length}, missing ${gaps.length}, duplicates ${duplicates(run.events).count}; during outage: in-flight ${inFlight}, evaluated ${records}, committed ${committedTotal}, peak RSS ${Math.round(peakRss / 1048576)} MB, emit errors ${emitErrors}`,
    );
    assert.deepEqual(gaps.slice(0, 10), [], 'everything flows after recovery');
    let after = new Map<number, number>();
    for (let i = 0; i < 40; i++) {
      after = await committed(brokers, group, raw);
      if ([...after.values()].reduce((a, b) => a + b, 0) >= 31_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(after, await ends(brokers, raw), 'commits reach the end after recovery');
  });
});
