/**
 * Evidence as Parquet rows (hyparquet-writer; read back with hyparquet). The columns are the
 * evidence event flattened, plus `doc` (the whole event as JSON, so nothing is lost when the
 * model grows) and the evidence message's partition/offset. docs/evidence.md's Athena DDL lists
 * the same columns (a unit test keeps them equal). GZIP through node's native zlib: the library's
 * pure-JavaScript Snappy compressed ~16 MB/s here (5-6k events/s, below the enforcer's evidence
 * rate); Athena, Spark and DuckDB read GZIP Parquet natively.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { EvidenceEvent } from '../models/index.js';

export interface ArchivedEvidence {
  event: EvidenceEvent;
  /** The message value as consumed (the event's JSON): archived as is, byte for byte. */
  raw?: Uint8Array;
  /** Where the evidence message sits on the evidence topic. */
  partition: number;
  offset: number;
}

type BasicType = 'STRING' | 'INT32' | 'INT64' | 'TIMESTAMP' | 'JSON';
interface Column {
  name: string;
  type: BasicType;
  /**
   * Unique per row (ids, documents): plain bytes, no dictionary, no min/max statistics (costly, never
   * prune). Given as bytes: the library builds a TextEncoder per string value.
   */
  unique?: boolean;
  /** Athena/Glue type of the column (docs/evidence.md). */
  athena: string;
  get(a: ArchivedEvidence): unknown;
}

const str = (name: string, get: (e: EvidenceEvent) => string | null | undefined): Column => ({
  name,
  type: 'STRING',
  athena: 'string',
  get: (a) => get(a.event) ?? null,
});

export const COLUMNS: readonly Column[] = [
  { ...str('evidence_id', (e) => e.evidence_id), unique: true, get: (a) => Buffer.from(a.event.evidence_id) },
  { name: 'event_ts', type: 'TIMESTAMP', athena: 'timestamp', get: (a) => new Date(a.event.timestamp) },
  str('dataset_urn', (e) => e.dataset_urn),
  str('result', (e) => e.validation.result),
  str('failed_gates', (e) => e.validation.failed_gates.join(',')),
  str('reason_codes', (e) => JSON.stringify(e.validation.reason_codes)),
  str('producer_id', (e) => e.producer.producer_id),
  str('identity_confidence', (e) => e.producer.identity_confidence),
  str('raw_topic', (e) => e.source.raw_topic),
  { name: 'raw_partition', type: 'INT32', athena: 'int', get: (a) => a.event.source.partition },
  { name: 'raw_offset', type: 'INT64', athena: 'bigint', get: (a) => BigInt(a.event.source.offset) },
  str('schema_id', (e) => e.schema.schema_id),
  str('contract_id', (e) => e.contract.contract_id),
  {
    name: 'policy_version',
    type: 'INT32',
    athena: 'int',
    get: (a) => a.event.policy_version ?? null,
  },
  str('enforcement_action', (e) => e.enforcement?.action),
  str('trace_id', (e) => e.otel.trace_id),
  { name: 'evidence_partition', type: 'INT32', athena: 'int', get: (a) => a.partition },
  { name: 'evidence_offset', type: 'INT64', athena: 'bigint', get: (a) => BigInt(a.offset) },
  {
    ...str('doc', (e) => JSON.stringify(e)),
    unique: true,
    get: (a) => a.raw ?? Buffer.from(JSON.stringify(a.event)),
  },
];

/** zlib level: 3 keeps most of 6's ratio on JSON-like text at about twice the speed. */
const GZIP_LEVEL = 3;

export function toParquet(rows: readonly ArchivedEvidence[]): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: COLUMNS.map((c) => ({
      name: c.name,
      type: c.type,
      data: rows.map((r) => c.get(r)) as never,
      ...(c.unique ? { encoding: 'PLAIN' as const, statistics: false } : {}),
    })),
    // One row group per file up to 100k rows: the archive is read by scans, not previews.
    rowGroupSize: 100_000,
    codec: 'GZIP',
    compressors: { GZIP: (bytes: Uint8Array) => gzipSync(bytes, { level: GZIP_LEVEL }) },
    createdBy: 'signal-factory archive',
  });
}

/** The evidence events of one Parquet file (from its `doc` column), with their topic position. */
export async function fromParquet(buf: ArrayBuffer): Promise<ArchivedEvidence[]> {
  const rows = (await parquetReadObjects({
    file: buf,
    columns: ['doc', 'evidence_partition', 'evidence_offset'],
    compressors: { GZIP: (bytes: Uint8Array) => new Uint8Array(gunzipSync(bytes)) },
  })) as { doc: string; evidence_partition: number; evidence_offset: bigint }[];
  return rows.map((r) => ({
    event: JSON.parse(r.doc) as EvidenceEvent,
    partition: r.evidence_partition,
    offset: Number(r.evidence_offset),
  }));
}
