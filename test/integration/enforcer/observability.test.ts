/**
 * Issue 6 acceptance on the real broker: /metrics scraped during a real run carries every
 * design metric with plausible values (records_total equals what was produced; lag falls to
 * 0 after the drain); a record with a W3C traceparent yields the five spans joined to that
 * trace (in-memory exporter, enforcer in-process), and its evidence names the trace; a
 * planted canary PII value never appears in logs, metrics or evidence.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { createLogger } from '../../../src/common/logger.js';
import { fromStart, readEvidence } from '../../../src/dev/evidence-reader.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll } from '../../../src/dev/produce.js';
import { freePort } from '../../../src/dev/services.js';
import { enforcerConfig } from '../../../src/main/config.js';
import { Enforcer } from '../../../src/main/enforcer.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { metricValues } from '../../helpers/metrics.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const CANARY_CARD = '4929 1234 5678 9120';
const CANARY_EMAIL = 'canary.zx81q@leak-check.example';

async function setupDataset(t: Parameters<typeof startControlPlane>[0], raw: string) {
  const cp = await startControlPlane(t);
  const { urn } = await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY' });
  return { cp, urn };
}

describe('enforcer observability on the real broker', { timeout: 240_000 }, () => {
  it('exposes every design metric with plausible values, and never leaks a canary value', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.obs');
    const evidenceTopic = unique('it.evidence.obs');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 4 },
      { topic: evidenceTopic, numPartitions: 4 },
    ]);
    const { cp, urn } = await setupDataset(t, raw);
    const records = [...orders(2000, 3)];
    // Canary PII in an undeclared field: detected, reported by path and class, never echoed.
    const canary = {
      ...records[0],
      value: Buffer.from(
        JSON.stringify({ ...JSON.parse(records[0].value!.toString()), notes: `${CANARY_EMAIL} ${CANARY_CARD}` }),
      ),
    };
    records[0] = canary;
    await produceAll(brokers, raw, records);
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-obs'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_LAG_REFRESH_MS: '300',
      SF_LOG_LEVEL: 'debug',
    });
    const ev = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(4),
      until: (e) => e.length >= 2000,
      timeoutMs: 90_000,
    });
    assert.ok(ev.done);

    // Scrape until the lag gauges settle at 0 on every partition.
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = await (await request(`${enforcer.url}/metrics`)).body.text();
      const lags = metricValues(text, 'enforcer_consumer_lag', { topic: raw });
      if (lags.length === 4 && lags.every((v) => v === 0)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const lags = metricValues(text, 'enforcer_consumer_lag', { topic: raw });
    assert.deepEqual(lags, [0, 0, 0, 0], 'lag falls to 0 on every partition after the drain');
    const total = metricValues(text, 'enforcer_records_total', { topic: raw }).reduce((a, b) => a + b, 0);
    assert.equal(total, 2000, 'records_total equals the records produced');
    const pass = metricValues(text, 'enforcer_records_total', { topic: raw, dataset: urn, result: 'PASS' })[0];
    assert.equal(
      pass,
      ev.events.filter((e) => e.validation.result === 'PASS').length,
      'PASS count matches the evidence',
    );
    const contractFailures = metricValues(text, 'enforcer_gate_failures_total', {
      gate: 'CONTRACT',
      reason: 'MISSING_FIELD',
      dataset: urn,
    })[0];
    assert.ok(contractFailures > 0, 'gate failures are labelled by gate, reason code base and dataset');
    assert.ok(!text.includes('MISSING_FIELD:'), 'no field paths in metric labels (bounded cardinality)');
    assert.equal(
      metricValues(text, 'enforcer_eval_latency_ms_count', { dataset: urn })[0],
      2000 - metricValues(text, 'enforcer_records_total', { dataset: 'unresolved' }).reduce((a, b) => a + b, 0),
    );
    assert.ok(text.includes('# TYPE enforcer_evidence_emit_errors_total counter'));
    const ratio = metricValues(text, 'policy_cache_hit_ratio')[0];
    assert.ok(ratio > 0 && ratio <= 1, `policy_cache_hit_ratio ${ratio}`);
    assert.equal(
      metricValues(text, 'enforcer_evidence_latency_ms_count', { dataset: urn })[0],
      2000,
      'evidence latency observed per record',
    );
    assert.equal(metricValues(text, 'enforcer_raw_records_observed_total', { topic: raw })[0], 2000);
    assert.equal(metricValues(text, 'signal_factory_dataset_info', { dataset: urn, tier: 'TIER_1' })[0], 1);
    t.diagnostic(
      `records_total ${total}, PASS ${pass}, CONTRACT/MISSING_FIELD ${contractFailures}, cache hit ratio ${ratio.toFixed(3)}`,
    );

    // The canary: detected by path and class, absent from evidence, metrics and logs.
    const canaryEvidence = ev.events.find((e) => e.source.key === canary.key.toString())!;
    assert.ok(
      canaryEvidence.pii_findings?.some((f) => f.path === 'notes' && f.class === 'EMAIL'),
      JSON.stringify(canaryEvidence.pii_findings),
    );
    await enforcer.stop('SIGTERM');
    const logs = readFileSync(enforcer.logFile, 'utf8');
    assert.ok(logs.length > 0, 'the enforcer logged something');
    for (const [where, body] of [
      ['evidence', JSON.stringify(ev.events)],
      ['metrics', text],
      ['logs', logs],
    ] as const) {
      assert.ok(!body.includes(CANARY_EMAIL), `canary email absent from ${where}`);
      assert.ok(
        !body.includes(CANARY_CARD) && !body.includes(CANARY_CARD.replace(/ /g, '')),
        `canary card absent from ${where}`,
      );
    }
    // Every log line is JSON with the fields SREs filter on.
    for (const line of logs.split('\n').filter((l) => l.startsWith('{'))) {
      const entry = JSON.parse(line);
      assert.ok(entry.level !== undefined && entry.time && entry.msg !== undefined, line);
    }
  });

  it('joins an incoming traceparent with the five design spans and names the trace in evidence', async (t) => {
    const { brokers } = stackEnv();
    const raw = unique('it.raw.trace');
    const evidenceTopic = unique('it.evidence.trace');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 1 },
      { topic: evidenceTopic, numPartitions: 1 },
    ]);
    const { cp, urn } = await setupDataset(t, raw);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpan = '00f067aa0ba902b7';
    const [rec] = [...orders(1, 5, { missing_customer: 0, bad_currency: 0, undeclared_pii: 0, poison: 0 })];
    await produceAll(brokers, raw, [{ ...rec, headers: [{ traceparent: `00-${traceId}-${parentSpan}-01` }] }]);

    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const saved = { ...process.env };
    Object.assign(process.env, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-trace'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_ENFORCER_OFFSET_RESET: 'earliest',
      SF_WORKERS: '1',
      SF_ENFORCER_HTTP_PORT: String(await freePort()),
    });
    const cfg = enforcerConfig();
    process.env = saved;
    const enforcer = new Enforcer(cfg, createLogger('enforcer-test', 'warn'), provider.getTracer('test'));
    t.after(() => enforcer.stop());
    await enforcer.start(AbortSignal.timeout(60_000));
    const ev = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: fromStart(1),
      until: (e) => e.length >= 1,
      timeoutMs: 60_000,
    });
    assert.ok(ev.done);
    for (let i = 0; i < 40 && !exporter.getFinishedSpans().some((s) => s.name === 'enforcer.emit.evidence'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const spans = exporter.getFinishedSpans();
    const names = spans.map((s) => s.name).sort();
    assert.deepEqual(names, [
      'enforcer.consume',
      'enforcer.emit.evidence',
      'enforcer.resolve_dataset',
      'enforcer.validate.contract',
      'enforcer.validate.schema',
    ]);
    const root = spans.find((s) => s.name === 'enforcer.consume')!;
    assert.ok(
      spans.every((s) => s.spanContext().traceId === traceId),
      'every span joins the incoming trace',
    );
    assert.equal(root.parentSpanContext?.spanId, parentSpan, 'consume is a child of the producer span');
    for (const s of spans) {
      assert.equal(s.attributes.dataset_urn, urn, s.name);
      assert.equal(s.attributes.raw_topic, raw, s.name);
      assert.equal(s.attributes.result, 'PASS', s.name);
      assert.equal(s.attributes.failed_gate, '', s.name);
      assert.equal(s.attributes.identity_confidence, 'MEDIUM', s.name);
    }
    assert.deepEqual(
      ev.events[0].otel,
      { trace_id: traceId, span_id: root.spanContext().spanId },
      'evidence names the trace',
    );
  });
});
