/**
 * Where archived evidence lives in S3 (one home for the key layout; docs/evidence.md shows it):
 *   <prefix>/dt=YYYY-MM-DD/hour=HH/dataset=<escaped urn>/p<evidence partition>-o<first offset>.parquet
 * dt and hour are the evidence timestamp's (UTC). The dataset is escaped as Hive escapes
 * partition values (so Glue/Athena read it back as the URN); no dataset is Hive's default partition.
 *
 * The name carries the evidence partition and the offset of the file's first event: the archiver
 * has one uncommitted batch per partition at a time and resumes at the committed offset, so after a
 * crash the first file it writes for a (dt, hour, dataset) starts at the same offset and overwrites
 * the old one; the old file's later events come again in later files. Nothing is duplicated.
 */
import { ConfigError } from '../common/config.js';

export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

export interface ArchiveLocation {
  bucket: string;
  /** Without a trailing slash; '' for the bucket root. */
  prefix: string;
}

export function parseArchiveUri(uri: string, name = 'SF_ARCHIVE_URI'): ArchiveLocation {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m) throw new ConfigError(`${name} must be s3://<bucket>[/<prefix>], got "${uri}"`);
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/\/+$/, '') };
}

/** Hive's partition-value escaping (FileUtils.escapePathName): these characters become %XX. */
const HIVE_SPECIAL = new Set('"#%\'*/:=?\\{}[]^');
const needsEscape = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || HIVE_SPECIAL.has(c);
export const hiveEscape = (v: string): string =>
  Array.from(v, (c) => (needsEscape(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : c)).join(
    '',
  );
export const hiveUnescape = (v: string): string =>
  v.replace(/%([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));

export interface FileGroup {
  dt: string;
  hour: string;
  /** Escaped partition value. */
  dataset: string;
}

/** A UTC timestamp as the enforcer writes it (toISOString): its dt and hour are slices of it. */
const UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;
/** Escaped dataset URNs: a handful of datasets carry millions of events (bounded: cleared when full). */
const escaped = new Map<string, string>();

export function groupOf(timestamp: string, datasetUrn: string | null): FileGroup {
  // Called once per archived event: skip the Date round trip when the string already is UTC.
  const iso = UTC_ISO.test(timestamp) ? timestamp : new Date(timestamp).toISOString();
  let dataset = HIVE_DEFAULT_PARTITION;
  if (datasetUrn !== null) {
    dataset = escaped.get(datasetUrn) ?? hiveEscape(datasetUrn);
    if (escaped.size >= 10_000) escaped.clear();
    escaped.set(datasetUrn, dataset);
  }
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13), dataset };
}

/** The folder of one (dt, hour) or (dt, hour, dataset), ending with '/'. */
export function folder(loc: ArchiveLocation, dt: string, hour: string, dataset?: string): string {
  const base = `${loc.prefix ? `${loc.prefix}/` : ''}dt=${dt}/hour=${hour}/`;
  return dataset === undefined ? base : `${base}dataset=${dataset}/`;
}

export function objectKey(loc: ArchiveLocation, g: FileGroup, partition: number, firstOffset: number): string {
  return `${folder(loc, g.dt, g.hour, g.dataset)}p${partition}-o${String(firstOffset).padStart(20, '0')}.parquet`;
}

/** Every (dt, hour) from since's hour up to until (exclusive), oldest first. */
export function hoursBetween(since: string, until: string): { dt: string; hour: string }[] {
  const out: { dt: string; hour: string }[] = [];
  const start = new Date(since);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(until).getTime();
  for (let t = start.getTime(); t < end; t += 3_600_000) {
    const iso = new Date(t).toISOString();
    out.push({ dt: iso.slice(0, 10), hour: iso.slice(11, 13) });
  }
  return out;
}
