/**
 * Signal Engine fixtures on the real local stack: unique evidence/partials/signals/incidents
 * topics and groups per test, synthetic evidence produced straight to the evidence topic (so a
 * test controls every count), engine processes started as the shipped command.
 */

import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import kafka from '@confluentinc/kafka-javascript';
import { api, freePort, type Service, startService } from '../../../src/dev/services.js';
import type { EvidenceEvent, Incident, SignalSnapshot } from '../../../src/models/index.js';

export type Health = SignalSnapshot & { stale: boolean; stale_reason: string | null };

import { type ControlPlane, createTopics, LOG_DIR, stackEnv, startControlPlane, unique } from '../../helpers/stack.js';

export interface SignalsRig {
  brokers: string;
  env: Record<string, string>;
  cp: ControlPlane;
  evidenceTopic: string;
  produce(events: EvidenceEvent[]): Promise<void>;
  engine(name?: string, extra?: Record<string, string>): Promise<Service>;
  dataset(policy?: Record<string, unknown>): Promise<string>;
  health(urn: string): Promise<Health>;
  incidents(query: string): Promise<Incident[]>;
}

/** Engine settings short enough for tests (documented in docs/signals.md). */
const FAST = {
  SF_SIGNALS_EVAL_INTERVAL_MS: '500',
  SF_SIGNALS_BATCH_WAIT_MS: '200',
  SF_SIGNALS_OPEN_AFTER_SEC: '1',
  SF_SIGNALS_RESOLVE_AFTER_SEC: '2',
  SF_SIGNALS_MIN_RECORDS: '10',
  SF_SIGNALS_TOPIC_PARTITIONS: '3',
  SF_POLICY_REFRESH_MS: '500',
};

export async function signalsRig(t: TestContext, evidencePartitions = 4): Promise<SignalsRig> {
  const { brokers } = stackEnv();
  const id = unique('sig');
  const env = {
    SF_EVIDENCE_TOPIC: `${id}.evidence`,
    SF_SIGNALS_PARTIALS_TOPIC: `${id}.partials`,
    SF_SIGNALS_TOPIC: `${id}.signals`,
    SF_INCIDENTS_TOPIC: `${id}.incidents`,
    SF_SIGNALS_GROUP_ID: `${id}.engine`,
  };
  await createTopics(brokers, [{ topic: env.SF_EVIDENCE_TOPIC, numPartitions: evidencePartitions }]);
  const cp = await startControlPlane(t, { ...env, SF_SIGNALS_VIEW: 'on', SF_SIGNALS_STALE_SEC: '5' });
  const k = new kafka.KafkaJS.Kafka({});
  const producer = k.producer({ 'bootstrap.servers': brokers, log_level: 3, 'linger.ms': 5 });
  await producer.connect();
  t.after(() => producer.disconnect());
  const engineEnv = { ...env, ...FAST, SF_CONTROL_PLANE_URL: cp.url };
  return {
    brokers,
    env: engineEnv,
    cp,
    evidenceTopic: env.SF_EVIDENCE_TOPIC,
    // Keyed like the enforcer: by raw topic/partition, so a raw partition stays on one evidence partition.
    produce: async (events) => {
      for (let i = 0; i < events.length; i += 500) {
        await producer.send({
          topic: env.SF_EVIDENCE_TOPIC,
          messages: events.slice(i, i + 500).map((e) => ({
            key: `${e.source.raw_topic}/${e.source.partition}`,
            value: JSON.stringify(e),
          })),
        });
      }
    },
    engine: async (name = 'signals', extra = {}) => {
      const port = await freePort();
      const service = await startService({
        name: `${name}-${port}`,
        command: 'signals',
        env: { ...engineEnv, SF_SIGNALS_HTTP_PORT: String(port), ...extra },
        port,
        logDir: LOG_DIR,
        readyTimeoutMs: 90_000,
      });
      t.after(() => service.stop('SIGKILL'));
      return service;
    },
    dataset: async (policy = {}) => {
      const urn = `urn:dp:signals:${unique('ds').replace(/\./g, '-')}`;
      await cp.put(`/v1/datasets/${urn}/policy`, {
        dataset_urn: urn,
        enforcement_mode: 'ALERT_ONLY',
        pii_policy: 'ALLOW',
        owners: ['orders-team'],
        tier: 'TIER_1',
        freshness_slo_sec: 3600,
        volume_rpm_expected: 0,
        slo: { compliance_min: 0.8, window_sec: 300 },
        ...policy,
      });
      return urn;
    },
    health: async (urn) => {
      const r = await api(cp.url, cp.admin, 'GET', `/v1/datasets/${encodeURIComponent(urn)}/health`);
      if (r.status !== 200) throw new Error(`health ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as Health;
    },
    incidents: async (query) => {
      const r = await api(cp.url, cp.admin, 'GET', `/v1/incidents?${query}`);
      if (r.status !== 200) throw new Error(`incidents ${r.status} ${JSON.stringify(r.body)}`);
      return (r.body as { items: Incident[] }).items;
    },
  };
}

/** One evidence event of raw record (rawTopic, partition, offset). */
export function evidence(
  urn: string,
  o: { rawTopic: string; partition: number; offset: number; fail?: boolean; producer?: string; at?: number },
): EvidenceEvent {
  const at = o.at ?? Date.now();
  return {
    evidence_id: `evd-${o.rawTopic}-${o.partition}-${o.offset}`,
    timestamp: new Date(at).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: urn,
    producer: { producer_id: o.producer ?? 'orders-svc', identity_confidence: 'MEDIUM' },
    source: {
      raw_topic: o.rawTopic,
      partition: o.partition,
      offset: o.offset,
      key: null,
      event_time: new Date(at - 1500).toISOString(),
    },
    schema: { schema_id: null },
    contract: { contract_id: null },
    validation: o.fail
      ? { result: 'FAIL', failed_gates: ['CONTRACT'], reason_codes: ['MISSING_FIELD:customer_id'] }
      : { result: 'PASS', failed_gates: [], reason_codes: [] },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
  };
}

/** `n` records of a raw topic spread over `partitions` partitions from offset `start`; every `failEvery`-th fails. */
export function burst(
  urn: string,
  rawTopic: string,
  n: number,
  opts: { start?: number; partitions?: number; failEvery?: number; producer?: string } = {},
) {
  const parts = opts.partitions ?? 2;
  const start = opts.start ?? 0;
  const out: EvidenceEvent[] = [];
  for (let i = 0; i < n; i++) {
    const seqNo = start + i;
    out.push(
      evidence(urn, {
        rawTopic,
        partition: seqNo % parts,
        offset: Math.floor(seqNo / parts),
        fail: opts.failEvery ? seqNo % opts.failEvery === 0 : false,
        producer: opts.producer,
      }),
    );
  }
  return out;
}

/** A counter's value from a service's /metrics (0 when absent). */
export async function metric(service: Service, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** A labelled series' value, e.g. `name{stage="fold"}` (0 when absent). */
export async function labelled(service: Service, series: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

export async function until<T>(
  what: string,
  f: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  explain: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const why = explain();
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${why ? `\n${why}` : ''}`);
}

/**
 * Each engine's state for a failed wait's message: running or exited, and its last warnings and
 * errors (a CI run keeps the test output, not the log files).
 */
export function engineTrail(...services: Service[]): string {
  return services
    .map((s) => {
      const c = s.child;
      const state = c.exitCode === null && c.signalCode === null ? 'running' : `exited ${c.exitCode ?? c.signalCode}`;
      let lines: string[] = [];
      try {
        lines = readFileSync(s.logFile, 'utf8')
          .split('\n')
          .filter((l) => /"level":(40|50|60)/.test(l))
          .slice(-8);
      } catch (e) {
        lines = [`(no log: ${(e as Error).message})`];
      }
      return [`${s.name}: ${state}`, ...lines.map((l) => `  ${l.slice(0, 400)}`)].join('\n');
    })
    .join('\n');
}
