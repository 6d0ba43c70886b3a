/**
 * One interface, two implementations (SQLite embedded, DynamoDB). Every change goes through
 * `commit`, which atomically (1) writes the entity if its version is still the expected one,
 * (2) bumps the store-wide watermark and (3) appends the audit entry whose seq is the new
 * watermark. The snapshot's version and the audit log therefore can never disagree.
 */
import type { AuditEntry } from '../schemas.js';

export type EntityKind = 'policy' | 'resolution' | 'contract' | 'dataset_ops' | 'global_ops' | 'shadow';
export const ENTITY_KINDS: readonly EntityKind[] = [
  'policy',
  'resolution',
  'contract',
  'dataset_ops',
  'global_ops',
  'shadow',
];

export interface Versioned {
  version: number;
}

/**
 * Kinds whose every version keeps its full body beside the audit entry that made it, in the
 * same atomic commit (GET .../policy/versions). Other kinds keep only the audit entry.
 */
export const HISTORY_KINDS: ReadonlySet<EntityKind> = new Set<EntityKind>(['policy', 'shadow']);

/** One audited change of an entity with history: the audit entry plus the body it left (null: deleted). */
export interface HistoryEntry extends AuditEntry {
  body: Versioned | null;
}

export interface Mutation {
  kind: EntityKind;
  key: string;
  /** null: the entity must not exist yet. */
  expectedVersion: number | null;
  /** null deletes the entity (expectedVersion then names the version being deleted). */
  doc: Versioned | null;
  audit: Omit<AuditEntry, 'seq'>;
  /** Also fail unless the watermark still equals this (for checks that span entities). */
  atWatermark?: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface PageOptions {
  limit: number;
  cursor?: string;
}

export interface ControlPlaneStore {
  readonly kind: 'sqlite' | 'dynamodb';
  get<T extends Versioned>(kind: EntityKind, key: string): Promise<T | undefined>;
  /** A page of entities; `cursor` is opaque (throws InvalidCursorError when it is not one of ours). */
  list<T extends Versioned>(kind: EntityKind, opts: PageOptions): Promise<Page<T>>;
  all<T extends Versioned>(kind: EntityKind): Promise<T[]>;
  watermark(): Promise<number>;
  /** Returns the new watermark; throws VersionConflictError when a condition fails. */
  commit(m: Mutation): Promise<number>;
  /** Newest first: the audited changes of one entity of a HISTORY_KINDS kind, each with its body. */
  history(kind: EntityKind, key: string, opts: PageOptions): Promise<Page<HistoryEntry>>;
  /**
   * Appends an audit entry that changes no entity (e.g. a replay run), at the next watermark.
   * Returns its seq.
   */
  appendAudit(audit: Omit<AuditEntry, 'seq'>): Promise<number>;
  /** Newest first; optionally only one target. */
  audit(opts: PageOptions & { target?: string }): Promise<Page<AuditEntry>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
}

export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not valid');
  }
  if (!check(v)) throw new InvalidCursorError('cursor is not valid');
  return v;
}
