/**
 * The evidence archive on the real broker and moto S3: every event (PASS included) lands once in
 * GZIP Parquet under dt=/hour=/dataset=/; a batch whose write fails half-way (some objects stored,
 * offsets not committed, as in a crash) is written again by the next archiver in the group with
 * other batch boundaries, and the archive still holds each event exactly once. `archive query`
 * reads a dataset and time range back through the CLI. Two archivers in one group split the
 * partitions and never write the same object; the process serves its probes and metrics.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EvidenceArchiver } from '../../../src/archive/archiver.js';
import { type ArchiveLocation, hiveUnescape } from '../../../src/archive/layout.js';
import { type ArchivedEvidence, fromParquet } from '../../../src/archive/parquet.js';
import { listKeys } from '../../../src/archive/query.js';
import { s3Client } from '../../../src/common/aws.js';
import { createLogger } from '../../../src/common/logger.js';
import { freePort, REPO_ROOT, waitReady } from '../../../src/dev/services.js';
import type { EvidenceEvent } from '../../../src/models/index.js';
import { stackEnv } from '../../helpers/stack.js';
import { topicWith } from '../control-plane/helpers.js';

const DATASETS = ['urn:dp:orders:created', 'urn:dp:payments:settled', null] as const;
const T0 = Date.parse('2026-01-13T11:58:00.000Z');

function evidence(i: number): EvidenceEvent {
  const fail = i % 4 === 0;
  return {
    evidence_id: `evd-arch-${i}`,
    // 4 minutes around 12:00: two hour folders.
    timestamp: new Date(T0 + i * 800).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: DATASETS[i % 3],
    producer: { producer_id: 'orders-svc', identity_confidence: 'MEDIUM' },
    source: {
      raw_topic: 'raw.orders.events',
      partition: i % 3,
      offset: i,
      key: `k-${i}`,
      event_time: new Date(T0).toISOString(),
    },
    schema: { schema_id: null },
    contract: { contract_id: null },
    validation: {
      result: fail ? 'FAIL' : 'PASS',
      failed_gates: fail ? ['CONTRACT'] : [],
      reason_codes: fail ? ['MISSING_FIELD:order_id'] : [],
    },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
  };
}

async function readAll(s3: S3Client, loc: ArchiveLocation): Promise<{ key: string; rows: ArchivedEvidence[] }[]> {
  const out = [];
  for (const key of await listKeys(s3, loc.bucket, loc.prefix)) {
    const r = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    const b = await r.Body!.transformToByteArray();
    out.push({
      key,
      rows: await fromParquet(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
    });
  }
  return out;
}

async function setup(t: TestContext) {
  const { brokers, awsEndpoint } = stackEnv();
  const s3 = s3Client({ awsEndpoint, awsRegion: process.env.AWS_REGION || 'us-east-1' });
  t.after(() => s3.destroy());
  const bucket = `sf-archive-test-${randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { topic, producer } = await topicWith(t, 2, 'sf-archive-test');
  return { brokers, awsEndpoint, s3, topic, producer, loc: { bucket, prefix: 'evidence' } };
}

test('archive: every event once across a failed half-written batch and a restart; query reads it back', {
  timeout: 240_000,
}, async (t) => {
  const { brokers, awsEndpoint, s3, topic, producer, loc } = await setup(t);
  const total = 300;
  const events = Array.from({ length: total }, (_, i) => evidence(i));
  await producer.send({
    topic,
    messages: [
      ...events.map((e) => ({ key: e.evidence_id, value: JSON.stringify(e) })),
      { key: 'junk', value: 'not evidence' },
    ],
  });
  const groupId = `sf-archive-test-${randomUUID()}`;
  const logger = createLogger('archive-test', 'warn');

  // 1. The first archiver's 14th put fails (targeted fault): its second batch is half in S3, uncommitted.
  let puts = 0;
  const faulty = Object.assign(Object.create(s3) as S3Client, {
    send: (cmd: Parameters<S3Client['send']>[0]) =>
      ++puts >= 14 ? Promise.reject(new Error('injected: S3 unavailable')) : s3.send(cmd),
  });
  let committed = 0;
  const first = new EvidenceArchiver({
    brokers,
    topic,
    groupId,
    location: loc,
    s3: faulty,
    batchEvents: 100,
    batchMs: 500,
    logger: createLogger('archive-test', 'fatal'),
    putRetryMs: 10,
    onBatch: (b) => {
      committed += b.events;
    },
  });
  await first.start();
  await assert.rejects(first.run(), /injected: S3 unavailable/);
  await first.stop();
  const half = await readAll(s3, loc);
  const halfRows = half.reduce((n, f) => n + f.rows.length, 0);
  assert.ok(committed >= 1 && committed < total, `some batches committed before the failure (${committed})`);
  assert.ok(halfRows > committed, `the failed batch left objects behind (${halfRows} rows for ${committed} committed)`);

  // 2. A restart in the same group, with other batch boundaries, resumes at the committed offsets.
  let archived = 0;
  const second = new EvidenceArchiver({
    brokers,
    topic,
    groupId,
    location: loc,
    s3,
    batchEvents: 70,
    batchMs: 500,
    logger,
    onBatch: (b) => {
      archived += b.events;
    },
  });
  await second.start();
  const running = second.run();
  const deadline = Date.now() + 90_000;
  while (committed + archived < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await second.stop();
  await running;

  const files = await readAll(s3, loc);
  const ids = files.flatMap((f) => f.rows.map((r) => r.event.evidence_id));
  assert.equal(ids.length, total, `each event archived exactly once (${ids.length} rows for ${total} events)`);
  assert.deepEqual(new Set(ids), new Set(events.map((e) => e.evidence_id)));
  for (const f of files) {
    const m = /^evidence\/dt=(\d{4}-\d\d-\d\d)\/hour=(\d\d)\/dataset=([^/]+)\/p(\d+)-o(\d{20})\.parquet$/.exec(f.key);
    assert.ok(m, `key layout: ${f.key}`);
    for (const r of f.rows) {
      assert.equal(r.event.timestamp.slice(0, 10), m[1]);
      assert.equal(r.event.timestamp.slice(11, 13), m[2]);
      assert.equal(r.event.dataset_urn ?? '__HIVE_DEFAULT_PARTITION__', hiveUnescape(m[3]));
      assert.equal(r.partition, Number(m[4]));
    }
    assert.equal(Math.min(...f.rows.map((r) => r.offset)), Number(m[5]), 'named by its first offset');
  }
  assert.ok(
    files.some((f) => f.key.includes('dataset=urn%3Adp%3Aorders%3Acreated/')),
    'Hive-escaped URN',
  );
  assert.ok(files.some((f) => f.key.includes('/hour=11/')) && files.some((f) => f.key.includes('/hour=12/')));

  // 3. The CLI reads a dataset and time range back (PASS included), oldest first.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(REPO_ROOT, 'bin', 'signal-factory.js'),
      'archive',
      'query',
      '--dataset',
      'urn:dp:orders:created',
      '--since',
      '2026-01-13T11:59:00Z',
      '--until',
      '2026-01-13T12:01:00Z',
    ],
    { env: { ...process.env, SF_AWS_ENDPOINT: awsEndpoint, SF_ARCHIVE_URI: `s3://${loc.bucket}/evidence` } },
  );
  const got = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EvidenceEvent);
  const want = events.filter(
    (e) =>
      e.dataset_urn === 'urn:dp:orders:created' &&
      e.timestamp >= '2026-01-13T11:59:00.000Z' &&
      e.timestamp < '2026-01-13T12:01:00.000Z',
  );
  assert.ok(want.length > 20);
  assert.deepEqual(
    got.map((e) => e.evidence_id),
    want.map((e) => e.evidence_id),
  );
  assert.ok(got.some((e) => e.validation.result === 'PASS') && got.some((e) => e.validation.result === 'FAIL'));
});

test('archive scales out: two processes in one group split the partitions, write disjoint files, each event once', {
  timeout: 180_000,
}, async (t) => {
  const { brokers, s3, topic, producer, loc } = await setup(t);
  const groupId = `sf-archive-test-${randomUUID()}`;
  const archivers = [0, 1].map(
    () =>
      new EvidenceArchiver({
        brokers,
        topic,
        groupId,
        location: loc,
        s3,
        batchEvents: 40,
        batchMs: 300,
        logger: createLogger('archive-test', 'warn'),
      }),
  );
  const gauge = async (a: EvidenceArchiver, g: 'assigned' | 'events') =>
    (await a.metrics[g].get()).values[0]?.value ?? 0;
  const running = [];
  for (const a of archivers) {
    await a.start();
    running.push(a.run());
    t.after(() => a.stop());
  }
  // Both members hold a partition before anything is produced: no rebalance moves work afterwards.
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const held = await Promise.all(archivers.map((a) => gauge(a, 'assigned')));
    if (held.every((n) => n === 1)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const a of archivers) assert.equal(await gauge(a, 'assigned'), 1, 'each member holds one of the 2 partitions');

  const events = Array.from({ length: 200 }, (_, i) => evidence(i));
  await producer.send({ topic, messages: events.map((e) => ({ key: e.evidence_id, value: JSON.stringify(e) })) });
  let counts = [0, 0];
  while (counts[0] + counts[1] < events.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    counts = await Promise.all(archivers.map((a) => gauge(a, 'events')));
  }
  await Promise.all(archivers.map((a) => a.stop()));
  await Promise.all(running);
  assert.equal(counts[0] + counts[1], events.length, `committed by the two members: ${counts}`);
  assert.ok(counts[0] > 0 && counts[1] > 0, `both members archived (${counts})`);

  const files = await readAll(s3, loc);
  const ids = files.flatMap((f) => f.rows.map((r) => r.event.evidence_id));
  assert.equal(ids.length, events.length, 'each event archived exactly once');
  assert.deepEqual(new Set(ids), new Set(events.map((e) => e.evidence_id)));
  // A file holds one partition's events and is named after it: the members' keys cannot meet.
  for (const f of files) {
    const p = Number(/\/p(\d+)-o\d+\.parquet$/.exec(f.key)?.[1]);
    assert.ok(
      f.rows.every((r) => r.partition === p),
      f.key,
    );
  }
  assert.deepEqual(new Set(files.flatMap((f) => f.rows.map((r) => r.partition))), new Set([0, 1]));
});

/** `signal-factory archive` as a process (probes on a free port): its env, a clean SIGTERM, and a loud exit when S3 refuses. */
async function archiveProcess(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'signal-factory.js'), 'archive'], {
    env: { ...process.env, SF_LOG_LEVEL: 'info', SF_ARCHIVE_HTTP_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => out, url: `http://127.0.0.1:${port}` };
}

/** The value of one sample of a Prometheus exposition, or undefined. */
const metric = (text: string, name: string) => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

test('signal-factory archive: ready and counting on /metrics, stops on SIGTERM with exit 0; exits 1 naming the cause when S3 refuses', {
  timeout: 180_000,
}, async (t) => {
  const { s3, topic, producer, loc } = await setup(t);
  const events = Array.from({ length: 50 }, (_, i) => evidence(i));
  await producer.send({ topic, messages: events.map((e) => ({ key: e.evidence_id, value: JSON.stringify(e) })) });
  const env = {
    SF_EVIDENCE_TOPIC: topic,
    SF_ARCHIVE_URI: `s3://${loc.bucket}/evidence`,
    SF_ARCHIVE_BATCH_MS: '300',
    SF_ARCHIVE_GROUP_ID: `sf-archive-test-${randomUUID()}`,
  };
  const p = await archiveProcess(env);
  t.after(() => p.child.kill('SIGKILL'));
  await waitReady(`${p.url}/readyz`, 60_000, p.child);
  const deadline = Date.now() + 90_000;
  let rows = 0;
  while (rows < events.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    rows = (await readAll(s3, loc)).reduce((n, f) => n + f.rows.length, 0);
  }
  assert.equal(rows, events.length, p.output());
  // The counters follow the commit: wait for it rather than assume it came with the objects.
  let text = '';
  while (metric(text, 'archive_events_total') !== events.length && Date.now() < deadline) {
    text = await (await fetch(`${p.url}/metrics`)).text();
    if (metric(text, 'archive_events_total') !== events.length) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(metric(text, 'archive_events_total'), events.length, text);
  assert.equal(metric(text, 'archive_rejected_total'), 0);
  assert.equal(metric(text, 'archive_partitions_assigned'), 2, 'both evidence partitions');
  assert.ok((metric(text, 'archive_files_total') ?? 0) >= 2, 'files per hour and dataset');
  assert.ok((metric(text, 'archive_bytes_total') ?? 0) > 0);
  assert.ok((metric(text, 'archive_last_commit_timestamp_seconds') ?? 0) > Date.now() / 1000 - 120);
  assert.equal((await fetch(`${p.url}/healthz`)).status, 200);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.output());

  // A bucket that does not exist: every put fails, the process says why and exits 1, committing nothing.
  // (a new group: the first one committed every offset, so it would have nothing to write)
  const broken = await archiveProcess({
    ...env,
    SF_ARCHIVE_URI: 's3://sf-no-such-bucket-for-tests/evidence',
    SF_ARCHIVE_GROUP_ID: `sf-archive-test-${randomUUID()}`,
  });
  t.after(() => broken.child.kill('SIGKILL'));
  assert.equal(await broken.exited, 1, broken.output());
  const fatal = broken
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((l) => l.level >= 50);
  assert.ok(fatal, `a fatal JSON line: ${broken.output().slice(-2000)}`);
  assert.match(JSON.stringify(fatal), /sf-no-such-bucket-for-tests/);
});
