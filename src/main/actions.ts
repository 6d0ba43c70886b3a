/**
 * Enforcement actions that must finish before a record's offset may be committed:
 * QUARANTINE_ON_FAIL writes the raw record, its headers and its evidence to S3 (or a
 * local directory) with server-side encryption. Keys are deterministic, so a redelivered
 * record overwrites its own object instead of adding a second one:
 *
 *   <prefix>/dataset=<urn>/date=<YYYY-MM-DD>/<raw topic>/<partition>/<offset>-<evidence id>.json
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../common/logger.js';
import type { EnforcerMetrics } from './metrics.js';
import type { ConsumedRecord } from './records.js';

export interface QuarantineRecord extends ConsumedRecord {
  datasetUrn: string | null;
  evidenceId: string;
  evidenceJson: Buffer;
}

/** Where every quarantined record of one dataset lies (`signal-factory replay` lists it). */
export function quarantineDatasetPrefix(prefix: string, datasetUrn: string | null): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return `${p ? `${p}/` : ''}dataset=${encodeURIComponent(datasetUrn ?? 'unresolved')}/`;
}

export function quarantineKey(prefix: string, r: QuarantineRecord): string {
  const date = new Date(r.timestamp).toISOString().slice(0, 10);
  return `${quarantineDatasetPrefix(prefix, r.datasetUrn)}date=${date}/${r.topic}/${r.partition}/${r.offset}-${r.evidenceId}.json`;
}

/** The `date=YYYY-MM-DD` partition of a key under quarantineDatasetPrefix (undefined: not one of ours). */
export function quarantineKeyDate(key: string): string | undefined {
  return /\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
}

/** A quarantine object as quarantineBody wrote it. */
export interface QuarantinedObject {
  record: {
    topic: string;
    partition: number;
    offset: number;
    timestamp: string;
    key_base64: string | null;
    value_base64: string | null;
    headers: Array<{ key: string; value_base64: string }>;
  };
  evidence: { evidence_id: string; validation: { reason_codes: string[] } } & Record<string, unknown>;
}

/** Parses an object quarantineBody wrote; throws naming what is missing. */
export function parseQuarantineBody(text: string): QuarantinedObject {
  const o = JSON.parse(text) as Partial<QuarantinedObject>;
  const r = o.record;
  if (!r || typeof r.topic !== 'string' || !Number.isInteger(r.partition) || !Number.isInteger(r.offset))
    throw new Error('not a quarantine object: record.topic/partition/offset missing');
  if (typeof o.evidence?.evidence_id !== 'string')
    throw new Error('not a quarantine object: evidence.evidence_id missing');
  return o as QuarantinedObject;
}

/** The object body: the raw record exactly (bytes as base64) beside its evidence. */
export function quarantineBody(r: QuarantineRecord): string {
  return `{"record":${JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: new Date(r.timestamp).toISOString(),
    key_base64: r.key ? r.key.toString('base64') : null,
    value_base64: r.value ? r.value.toString('base64') : null,
    headers: r.headers.map(([k, v]) => ({ key: k, value_base64: v.toString('base64') })),
  })},"evidence":${r.evidenceJson.toString('utf8')}}`;
}

export class Quarantine {
  private readonly target: { kind: 's3'; bucket: string; prefix: string } | { kind: 'file'; dir: string };
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    uri: string,
    private readonly s3: S3Client | undefined,
    private readonly metrics: EnforcerMetrics,
    private readonly log: Logger,
    private readonly sse: { algorithm: 'AES256' | 'aws:kms'; kmsKeyId?: string } = { algorithm: 'AES256' },
    private readonly concurrency = 16,
  ) {
    const u = new URL(uri);
    if (u.protocol === 's3:') this.target = { kind: 's3', bucket: u.host, prefix: u.pathname.slice(1) };
    else if (u.protocol === 'file:') this.target = { kind: 'file', dir: u.pathname };
    else throw new Error(`SF_QUARANTINE_URI must be s3://bucket/prefix or file:///dir, got ${uri}`);
  }

  /** Writes one record; retries until it succeeds (the offset waits for it). Returns the object key. */
  async write(r: QuarantineRecord): Promise<string> {
    await this.acquire();
    try {
      const prefix = this.target.kind === 's3' ? this.target.prefix : '';
      const key = quarantineKey(prefix, r);
      const body = quarantineBody(r);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.put(key, body);
          this.metrics.quarantineWrites.inc({ result: 'ok' });
          return key;
        } catch (err) {
          this.metrics.quarantineWrites.inc({ result: 'error' });
          if (attempt % 10 === 0) {
            this.log.warn(
              {
                topic: r.topic,
                partition: r.partition,
                offset: r.offset,
                dataset_urn: r.datasetUrn,
                err: (err as Error).message,
              },
              'quarantine write failed; retrying',
            );
          }
          await new Promise((res) => setTimeout(res, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
        }
      }
    } finally {
      this.release();
    }
  }

  private async put(key: string, body: string): Promise<void> {
    if (this.target.kind === 'file') {
      const path = join(this.target.dir, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body, { mode: 0o600 });
      return;
    }
    if (!this.s3) throw new Error('no S3 client');
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.target.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ServerSideEncryption: this.sse.algorithm,
        ...(this.sse.kmsKeyId ? { SSEKMSKeyId: this.sse.kmsKeyId } : {}),
      }),
    );
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
