/**
 * Reads the quarantine back (the enforcer writes it: src/main/actions.ts) and keeps the replay
 * ledger beside it: one marker object per replayed record, keyed by its original evidence id,
 * under `<prefix>/_replayed/` (outside every `dataset=` prefix, so listings never mix the two).
 * S3 (`s3://bucket/prefix`) or a local directory (`file:///dir`), like SF_QUARANTINE_URI.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ConfigError } from '../common/config.js';

export interface QuarantineStore {
  /** The key prefix inside the bucket or directory ('' or ending in '/'). */
  readonly prefix: string;
  list(prefix: string): AsyncIterable<string>;
  read(key: string): Promise<string>;
  exists(key: string): Promise<boolean>;
  write(key: string, body: string): Promise<void>;
}

export interface Sse {
  algorithm: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
}

/** The ledger marker of one replayed record. */
export function ledgerKey(store: QuarantineStore, originalEvidenceId: string): string {
  return `${store.prefix}_replayed/${encodeURIComponent(originalEvidenceId)}.json`;
}

export function openQuarantine(uri: string, s3: () => S3Client, sse: Sse): QuarantineStore {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new ConfigError(`SF_QUARANTINE_URI must be s3://bucket/prefix or file:///dir, got "${uri}"`);
  }
  const trimmed = (p: string) => p.replace(/^\/+|\/+$/g, '');
  const asPrefix = (p: string) => (trimmed(p) ? `${trimmed(p)}/` : '');
  if (u.protocol === 's3:') return new S3Quarantine(s3(), u.host, asPrefix(u.pathname), sse);
  if (u.protocol === 'file:') return new FileQuarantine(u.pathname);
  throw new ConfigError(`SF_QUARANTINE_URI must be s3://bucket/prefix or file:///dir, got "${uri}"`);
}

class S3Quarantine implements QuarantineStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly prefix: string,
    private readonly sse: Sse,
  ) {}

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const r = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) yield o.Key;
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async read(key: string): Promise<string> {
    const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await r.Body?.transformToString('utf8')) ?? '';
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (
        err instanceof NotFound ||
        (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      )
        return false;
      throw err;
    }
  }

  async write(key: string, body: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ServerSideEncryption: this.sse.algorithm,
        ...(this.sse.kmsKeyId ? { SSEKMSKeyId: this.sse.kmsKeyId } : {}),
      }),
    );
  }
}

/** A directory; keys are relative paths with '/' (the enforcer's file:// layout). */
class FileQuarantine implements QuarantineStore {
  readonly prefix = '';
  constructor(private readonly dir: string) {}

  async *list(prefix: string): AsyncIterable<string> {
    const root = join(this.dir, prefix);
    let entries: string[];
    try {
      entries = (await readdir(root, { recursive: true })) as string[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries.sort()) {
      const path = join(root, e);
      if ((await stat(path)).isFile()) yield relative(this.dir, path).split('\\').join('/');
    }
  }

  read(key: string): Promise<string> {
    return readFile(join(this.dir, key), 'utf8');
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(join(this.dir, key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async write(key: string, body: string): Promise<void> {
    const path = join(this.dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body, { mode: 0o600 });
  }
}
