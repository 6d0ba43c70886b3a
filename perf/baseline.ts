/**
 * The passthrough baseline (issue 8): what the enforcer would cost with no gates at all.
 * A separate process with the enforcer's client library and settings (src/main/consumer.ts,
 * src/main/evidence-producer.ts): node-rdkafka-style KafkaConsumer with manual commits,
 * batch consume, a Producer with acks=all and idempotence; per raw record it produces one
 * evidence-sized (~900 B) JSON record keyed by raw topic/partition, and commits a partition
 * only up to records whose record was acknowledged. The same flow control (src/main/flow.ts:
 * records and bytes in flight, hold rather than pause).
 *
 * Reads the enforcer's variables: SF_KAFKA_BROKERS, SF_ENFORCER_TOPICS, SF_ENFORCER_GROUP_ID,
 * SF_EVIDENCE_TOPIC, SF_ENFORCER_BATCH_SIZE, SF_ENFORCER_MAX_INFLIGHT, SF_ENFORCER_MAX_INFLIGHT_KB,
 * SF_ENFORCER_COMMIT_INTERVAL_MS, SF_ENFORCER_OFFSET_RESET, SF_ENFORCER_HTTP_PORT
 * (/readyz, /metrics with baseline_records_total and nodejs_eventloop_lag_* like prom-client).
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  CODES,
  KafkaConsumer,
  type LibrdKafkaError,
  type Message,
  Producer,
  type TopicPartition,
} from '../src/common/kafka.js';
import { enforcerConfig } from '../src/main/config.js';
import { CONSUME_TIMEOUT_MS, rawConsumerConfig } from '../src/main/consumer.js';
import { evidenceProducerConfig } from '../src/main/evidence-producer.js';
import { FlowControl } from '../src/main/flow.js';

// The same configuration, from the same variables, as the enforcer (src/main/config.ts).
const cfg = enforcerConfig();
if (cfg.topics instanceof RegExp) {
  process.stderr.write('baseline: SF_ENFORCER_TOPICS must be a list of topics\n');
  process.exit(2);
}
const { brokers, groupId, evidenceTopic, batchSize, maxInFlight, offsetReset } = cfg;
const topics = cfg.topics;
const commitMs = cfg.commitIntervalMs;
const httpPort = cfg.httpPort;
const ERR_QUEUE_FULL = -184;
const EVIDENCE_BYTES = 900;

interface Part {
  topic: string;
  partition: number;
  key: Buffer;
  /** Next offset to commit: every record before it was acknowledged. */
  done: number;
  committed: number;
  pending: number;
  pendingBytes: number;
  revoked: boolean;
}
interface Pending {
  st: Part;
  offset: number;
  value: Buffer;
  /** The raw record's value size (in-flight bytes). */
  size: number;
}

const parts = new Map<string, Part>();
const pkey = (t: string, p: number) => `${t}\u0000${p}`;
/** Records and value bytes consumed and not yet acknowledged. */
const flight = { inFlight: 0, inFlightBytes: 0 };
let records = 0;
let paused = false;
let stopping = false;
let assigned = false;

// The enforcer's own client settings (src/main), so the comparison is like for like.
const consumer = new KafkaConsumer(
  {
    ...rawConsumerConfig({ brokers, groupId, fetchQueueKb: cfg.fetchQueueKb }),
    'client.id': 'signal-factory-perf-baseline',
    rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => onRebalance(err, assignment),
  },
  { 'auto.offset.reset': offsetReset },
);
const producer = new Producer({
  ...evidenceProducerConfig(cfg.evidenceBrokers, cfg.deliveryTimeoutMs, cfg.evidenceQueueKb),
  'client.id': 'signal-factory-perf-baseline',
});

function takeCommits(): Array<{ topic: string; partition: number; offset: number }> {
  const out: Array<{ topic: string; partition: number; offset: number }> = [];
  for (const st of parts.values()) {
    if (st.done > st.committed) {
      out.push({ topic: st.topic, partition: st.partition, offset: st.done });
      st.committed = st.done;
    }
  }
  return out;
}

function commit(sync = false): void {
  const c = takeCommits();
  if (c.length === 0) return;
  try {
    if (sync) consumer.commitSync(c);
    else consumer.commit(c);
  } catch (e) {
    process.stderr.write(`baseline: commit failed: ${(e as Error).message}\n`);
  }
}

function onRebalance(err: LibrdKafkaError, assignment: TopicPartition[]): void {
  if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
    for (const p of assignment) {
      const k = pkey(p.topic, p.partition);
      if (!parts.has(k))
        parts.set(k, {
          topic: p.topic,
          partition: p.partition,
          key: Buffer.from(`${p.topic}/${p.partition}`),
          done: -1,
          committed: -1,
          pending: 0,
          pendingBytes: 0,
          revoked: false,
        });
    }
    consumer.assign(assignment);
    paused = false;
    assigned = true;
  } else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
    commit(true);
    for (const p of assignment) {
      const st = parts.get(pkey(p.topic, p.partition));
      if (!st) continue;
      st.revoked = true;
      flight.inFlight -= st.pending;
      flight.inFlightBytes -= st.pendingBytes;
      parts.delete(pkey(p.topic, p.partition));
    }
    consumer.unassign();
  }
}

producer.on('delivery-report', (err, report) => {
  const p = report.opaque as Pending;
  if (err) {
    // Same policy as the enforcer: produce again, never drop.
    setTimeout(() => send(p), 500);
    return;
  }
  const st = p.st;
  if (st.revoked) return;
  st.pending--;
  st.pendingBytes -= p.size;
  flight.inFlight--;
  flight.inFlightBytes -= p.size;
  records++;
  flow.progress();
  // One key per raw partition -> one evidence partition, delivered in order (idempotent producer).
  if (p.offset + 1 > st.done) st.done = p.offset + 1;
});

/** An evidence-sized record: the fields a reader needs (source, event time), padded to ~900 B. */
const PAD = 'x'.repeat(EVIDENCE_BYTES);
function passthroughValue(m: Message): Buffer {
  const head = `{"evidence_id":"baseline-${m.partition}-${m.offset}","stage":"OBSERVED_RAW","source":{"raw_topic":${JSON.stringify(m.topic)},"partition":${m.partition},"offset":${m.offset},"event_time":"${new Date(m.timestamp ?? Date.now()).toISOString()}"},"validation":{"result":"PASS","failed_gates":[],"reason_codes":[]},"pad":"`;
  return Buffer.from(`${head}${PAD.slice(0, Math.max(0, EVIDENCE_BYTES - head.length - 2))}"}`);
}

function send(p: Pending): void {
  try {
    producer.produce(evidenceTopic, null, p.value, p.st.key, null, p);
  } catch (e) {
    if ((e as LibrdKafkaError).code !== ERR_QUEUE_FULL) throw e;
    // Local queue full: the broker is behind; retry once deliveries drained a little.
    setTimeout(() => send(p), 10);
  }
}

function setPaused(pause: boolean): void {
  if (pause === paused) return;
  const list = [...parts.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  if (pause) consumer.pause(list);
  else consumer.resume(list);
  paused = pause;
}

// The enforcer's flow control (hold, not pause; bounded by records and bytes).
const flow = new FlowControl(
  { maxRecords: maxInFlight, maxBytes: cfg.maxInFlightKb * 1024, pauseAfterMs: cfg.holdBeforePauseMs },
  flight,
  { pause: () => setPaused(true), resume: () => setPaused(false) },
);

async function loop(): Promise<void> {
  while (!stopping) {
    const step = flow.next(Date.now());
    if (step === 'hold') {
      await flow.wait(50);
      continue;
    }
    const messages = await new Promise<Message[]>((res, rej) =>
      consumer.consume(step === 'poll' ? 1 : batchSize, (e, m) => (e ? rej(e) : res(m))),
    );
    for (const m of messages) {
      const st = parts.get(pkey(m.topic, m.partition));
      if (!st) continue;
      st.pending++;
      st.pendingBytes += m.size;
      flight.inFlight++;
      flight.inFlightBytes += m.size;
      send({ st, offset: m.offset, value: passthroughValue(m), size: m.size });
    }
  }
}

const eld = monitorEventLoopDelay({ resolution: 20 });
eld.enable();
const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/readyz' || path === '/healthz') {
    const ok = consumer.isConnected() && producer.isConnected() && !stopping;
    res.writeHead(ok ? 200 : 503).end(ok ? 'ready' : 'not ready');
  } else if (path === '/metrics') {
    const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    const body = [
      `baseline_records_total ${records}`,
      `baseline_inflight_records ${flight.inFlight}`,
      `baseline_assigned ${assigned ? 1 : 0}`,
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
      `nodejs_eventloop_lag_mean_seconds ${s(eld.mean)}`,
      `nodejs_eventloop_lag_p50_seconds ${s(eld.percentile(50))}`,
      `nodejs_eventloop_lag_p99_seconds ${s(eld.percentile(99))}`,
      `nodejs_eventloop_lag_max_seconds ${s(eld.max)}`,
      '',
    ].join('\n');
    // Like prom-client: each scrape reports the delay since the previous one.
    eld.reset();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  } else res.writeHead(404).end();
});

async function main(): Promise<void> {
  await new Promise<void>((res, rej) => producer.connect({ timeout: 30_000 }, (e) => (e ? rej(e) : res())));
  producer.setPollInterval(5);
  await new Promise<void>((res, rej) => consumer.connect({ timeout: 30_000 }, (e) => (e ? rej(e) : res())));
  consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
  consumer.subscribe(topics);
  const timer = setInterval(() => commit(), commitMs);
  await new Promise<void>((res) => server.listen(httpPort, '127.0.0.1', res));
  const done = loop();
  await new Promise<void>((res) => {
    process.once('SIGTERM', () => res());
    process.once('SIGINT', () => res());
  });
  stopping = true;
  await done;
  const deadline = Date.now() + 30_000;
  while (flight.inFlight > 0 && Date.now() < deadline) {
    commit();
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(timer);
  commit(true);
  await new Promise<void>((res) => consumer.disconnect(() => res()));
  await new Promise<void>((res) => producer.flush(10_000, () => res()));
  await new Promise<void>((res) => producer.disconnect(() => res()));
  server.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`baseline failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
