/**
 * Reads the archive back for one dataset and time range (`signal-factory archive query`): lists
 * the hour folders of the range, reads each Parquet file with hyparquet and keeps the events in
 * range. An evidence id seen twice (the enforcer re-emits evidence for records it re-reads after a
 * crash, with the same id) is returned once.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EvidenceEvent } from '../models/index.js';
import { type ArchiveLocation, folder, HIVE_DEFAULT_PARTITION, hiveEscape, hoursBetween } from './layout.js';
import { fromParquet } from './parquet.js';

export interface ArchiveQuery {
  /** A dataset URN, or null for evidence that resolved to no dataset. */
  dataset: string | null;
  since: string;
  until: string;
  result?: 'PASS' | 'FAIL';
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key?.endsWith('.parquet')) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Yields the matching events hour by hour, oldest hour first (within an hour, by time). */
export async function* queryArchive(
  s3: S3Client,
  loc: ArchiveLocation,
  q: ArchiveQuery,
): AsyncGenerator<EvidenceEvent> {
  const since = new Date(q.since).getTime();
  const until = new Date(q.until).getTime();
  const dataset = q.dataset === null ? HIVE_DEFAULT_PARTITION : hiveEscape(q.dataset);
  for (const h of hoursBetween(q.since, q.until)) {
    // A re-emitted event has the same timestamp, so the same hour: dedupe per hour bounds memory.
    const seen = new Set<string>();
    const hour: EvidenceEvent[] = [];
    for (const key of await listKeys(s3, loc.bucket, folder(loc, h.dt, h.hour, dataset))) {
      const r = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
      const bytes = await r.Body!.transformToByteArray();
      for (const { event } of await fromParquet(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      )) {
        const t = new Date(event.timestamp).getTime();
        if (t < since || t >= until || (q.result && event.validation.result !== q.result)) continue;
        if (seen.has(event.evidence_id)) continue;
        seen.add(event.evidence_id);
        hour.push(event);
      }
    }
    hour.sort((a, b) => new Date(a.timestamp).getTime() - new Date(b.timestamp).getTime());
    yield* hour;
  }
}
