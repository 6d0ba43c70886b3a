import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { filesOf } from '../../../src/archive/archiver.js';
import {
  groupOf,
  hiveEscape,
  hiveUnescape,
  hoursBetween,
  objectKey,
  parseArchiveUri,
} from '../../../src/archive/layout.js';
import { COLUMNS, fromParquet, toParquet, toRow } from '../../../src/archive/parquet.js';
import { REPO_ROOT } from '../../../src/dev/services.js';
import type { EvidenceEvent } from '../../../src/models/index.js';

const ev = (id: string, ts: string, urn: string | null): EvidenceEvent => ({
  evidence_id: id,
  timestamp: ts,
  stage: 'OBSERVED_RAW',
  dataset_urn: urn,
  producer: { producer_id: null, identity_confidence: 'NONE' },
  source: { raw_topic: 't', partition: 0, offset: 1, key: null, event_time: ts },
  schema: { schema_id: null },
  contract: { contract_id: null },
  validation: { result: 'PASS', failed_gates: [], reason_codes: [] },
  otel: { trace_id: null, span_id: null },
  fingerprints: { payload_hash: null, schema_fingerprint: null },
});

test('layout: Hive-style partitions, escaped URN, key from evidence partition and first offset', () => {
  const loc = parseArchiveUri('s3://sf-archive/evidence/');
  assert.deepEqual(loc, { bucket: 'sf-archive', prefix: 'evidence' });
  assert.deepEqual(parseArchiveUri('s3://sf-archive'), { bucket: 'sf-archive', prefix: '' });
  assert.throws(() => parseArchiveUri('file:///tmp/x'), /SF_ARCHIVE_URI must be s3:/);
  const g = groupOf('2026-01-13T12:34:56.789+01:00', 'urn:dp:orders:created');
  assert.deepEqual(g, { dt: '2026-01-13', hour: '11', dataset: 'urn%3Adp%3Aorders%3Acreated' });
  assert.equal(
    objectKey(loc, g, 3, 120),
    'evidence/dt=2026-01-13/hour=11/dataset=urn%3Adp%3Aorders%3Acreated/p3-o00000000000000000120.parquet',
  );
  assert.equal(groupOf('2026-01-13T00:00:00Z', null).dataset, '__HIVE_DEFAULT_PARTITION__');
  assert.equal(hiveEscape('a/b=c%d'), 'a%2Fb%3Dc%25d');
  assert.equal(hiveUnescape(hiveEscape('urn:dp:x/y=z')), 'urn:dp:x/y=z');
  assert.deepEqual(hoursBetween('2026-01-13T23:30:00Z', '2026-01-14T01:00:00Z'), [
    { dt: '2026-01-13', hour: '23' },
    { dt: '2026-01-14', hour: '00' },
  ]);
});

test('filesOf: one file per (evidence partition, dt, hour, dataset), named by its first offset', () => {
  const loc = { bucket: 'b', prefix: '' };
  const rows = [
    { event: ev('a', '2026-01-13T11:59:59Z', 'urn:dp:a:b'), partition: 0, offset: 7 },
    { event: ev('b', '2026-01-13T12:00:00Z', 'urn:dp:a:b'), partition: 0, offset: 5 },
    { event: ev('c', '2026-01-13T12:00:01Z', 'urn:dp:a:b'), partition: 0, offset: 9 },
    { event: ev('d', '2026-01-13T12:00:01Z', 'urn:dp:a:b'), partition: 1, offset: 2 },
  ];
  const files = filesOf(loc, rows.map(toRow)).map((f) => [f.key, f.rows.map((r) => r.offset)]);
  assert.deepEqual(files, [
    ['dt=2026-01-13/hour=11/dataset=urn%3Adp%3Aa%3Ab/p0-o00000000000000000007.parquet', [7]],
    ['dt=2026-01-13/hour=12/dataset=urn%3Adp%3Aa%3Ab/p0-o00000000000000000005.parquet', [5, 9]],
    ['dt=2026-01-13/hour=12/dataset=urn%3Adp%3Aa%3Ab/p1-o00000000000000000002.parquet', [2]],
  ]);
});

test('parquet: round trip through hyparquet keeps every event whole', async () => {
  const rows = [
    { event: { ...ev('a', '2026-01-13T12:00:00.000Z', null), policy_version: 3 }, partition: 2, offset: 40 },
    { event: ev('b', '2026-01-13T12:00:01.000Z', 'urn:dp:a:b'), partition: 2, offset: 41 },
  ];
  const file = toParquet(rows);
  const back = await fromParquet(file);
  assert.deepEqual(back, rows);
  // The typed columns Athena reads, converted from the buffered cells when the file is encoded.
  const cols = (await parquetReadObjects({
    file,
    columns: ['evidence_id', 'event_ts', 'dataset_urn', 'raw_offset', 'policy_version', 'evidence_offset'],
    compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gunzipSync(b)) },
  })) as Record<string, unknown>[];
  assert.deepEqual(cols, [
    {
      evidence_id: 'a',
      event_ts: new Date('2026-01-13T12:00:00.000Z'),
      dataset_urn: null,
      raw_offset: 1n,
      policy_version: 3,
      evidence_offset: 40n,
    },
    {
      evidence_id: 'b',
      event_ts: new Date('2026-01-13T12:00:01.000Z'),
      dataset_urn: 'urn:dp:a:b',
      raw_offset: 1n,
      policy_version: null,
      evidence_offset: 41n,
    },
  ]);
});

test('docs/evidence.md: the Athena DDL lists exactly the Parquet columns, in order', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'evidence.md'), 'utf8');
  const ddl = /CREATE EXTERNAL TABLE signal_factory_evidence \(\n([\s\S]*?)\n\)/.exec(doc);
  assert.ok(ddl, 'the DDL is in docs/evidence.md');
  const cols = ddl[1].split(',\n').map((l) => l.trim());
  assert.deepEqual(
    cols,
    COLUMNS.map((c) => `\`${c.name}\` ${c.athena}`),
  );
});
