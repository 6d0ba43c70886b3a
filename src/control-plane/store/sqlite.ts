/**
 * Embedded store (better-sqlite3): the default, so a single machine runs with no AWS.
 * better-sqlite3 is synchronous, so a transaction is atomic within the process; BEGIN IMMEDIATE
 * and a busy timeout keep it safe when several processes share the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, VersionConflictError } from '../errors.js';
import type { AuditEntry } from '../schemas.js';
import {
  type ControlPlaneStore,
  decodeCursor,
  type EntityKind,
  encodeCursor,
  HISTORY_KINDS,
  type HistoryEntry,
  type Mutation,
  type Page,
  type PageOptions,
  type Versioned,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entities (kind TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, target TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_target ON audit (target, seq);
CREATE TABLE IF NOT EXISTS history (kind TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, key, seq));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('watermark', 0);
`;

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export class SqliteStore implements ControlPlaneStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      if (err instanceof VersionConflictError || (err as { code?: string }).code === 'INVALID_CURSOR') {
        return Promise.reject(err);
      }
      return Promise.reject(new StoreError(`sqlite store: ${(err as Error).message}`, { cause: err }));
    }
  }

  get<T extends Versioned>(kind: EntityKind, key: string): Promise<T | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT doc FROM entities WHERE kind = ? AND key = ?').get(kind, key) as
        | { doc: string }
        | undefined;
      return row ? (JSON.parse(row.doc) as T) : undefined;
    });
  }

  list<T extends Versioned>(kind: EntityKind, opts: PageOptions): Promise<Page<T>> {
    return this.run(() => {
      const after = opts.cursor === undefined ? '' : decodeCursor(opts.cursor, isString);
      const rows = this.db
        .prepare('SELECT key, doc FROM entities WHERE kind = ? AND key > ? ORDER BY key LIMIT ?')
        .all(kind, after, opts.limit + 1) as { key: string; doc: string }[];
      const more = rows.length > opts.limit;
      const page = more ? rows.slice(0, opts.limit) : rows;
      return {
        items: page.map((r) => JSON.parse(r.doc) as T),
        next_cursor: more ? encodeCursor(page[page.length - 1].key) : null,
      };
    });
  }

  all<T extends Versioned>(kind: EntityKind): Promise<T[]> {
    return this.run(() =>
      (this.db.prepare('SELECT doc FROM entities WHERE kind = ? ORDER BY key').all(kind) as { doc: string }[]).map(
        (r) => JSON.parse(r.doc) as T,
      ),
    );
  }

  watermark(): Promise<number> {
    return this.run(() => this.readWatermark());
  }

  private readWatermark(): number {
    return (this.db.prepare("SELECT value FROM meta WHERE name = 'watermark'").get() as { value: number }).value;
  }

  commit(m: Mutation): Promise<number> {
    return this.run(() => this.commitSync(m));
  }

  private commitSync(m: Mutation): number {
    const tx = this.db.transaction(() => {
      const row = this.db.prepare('SELECT version FROM entities WHERE kind = ? AND key = ?').get(m.kind, m.key) as
        | { version: number }
        | undefined;
      if ((row?.version ?? null) !== m.expectedVersion) throw new VersionConflictError(`${m.kind} ${m.key} changed`);
      const w = this.readWatermark();
      if (m.atWatermark !== undefined && w !== m.atWatermark) throw new VersionConflictError('store changed');
      const next = w + 1;
      if (m.doc === null) this.db.prepare('DELETE FROM entities WHERE kind = ? AND key = ?').run(m.kind, m.key);
      else
        this.db
          .prepare(
            'INSERT INTO entities (kind, key, version, doc) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, doc = excluded.doc',
          )
          .run(m.kind, m.key, m.doc.version, JSON.stringify(m.doc));
      this.db.prepare("UPDATE meta SET value = ? WHERE name = 'watermark'").run(next);
      const entry: AuditEntry = { seq: next, ...m.audit };
      this.db
        .prepare('INSERT INTO audit (seq, target, doc) VALUES (?, ?, ?)')
        .run(next, m.audit.target, JSON.stringify(entry));
      if (HISTORY_KINDS.has(m.kind)) {
        const h: HistoryEntry = { ...entry, body: m.doc };
        this.db
          .prepare('INSERT INTO history (kind, key, seq, doc) VALUES (?, ?, ?, ?)')
          .run(m.kind, m.key, next, JSON.stringify(h));
      }
      return next;
    });
    return tx.immediate();
  }

  appendAudit(audit: Omit<AuditEntry, 'seq'>): Promise<number> {
    return this.run(() => {
      const tx = this.db.transaction(() => {
        const next = this.readWatermark() + 1;
        this.db.prepare("UPDATE meta SET value = ? WHERE name = 'watermark'").run(next);
        this.db
          .prepare('INSERT INTO audit (seq, target, doc) VALUES (?, ?, ?)')
          .run(next, audit.target, JSON.stringify({ seq: next, ...audit }));
        return next;
      });
      return tx.immediate();
    });
  }

  history(kind: EntityKind, key: string, opts: PageOptions): Promise<Page<HistoryEntry>> {
    return this.run(() => {
      const before = opts.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(opts.cursor, isNumber);
      const rows = this.db
        .prepare('SELECT seq, doc FROM history WHERE kind = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .all(kind, key, before, opts.limit + 1) as { seq: number; doc: string }[];
      const more = rows.length > opts.limit;
      const page = more ? rows.slice(0, opts.limit) : rows;
      return {
        items: page.map((r) => JSON.parse(r.doc) as HistoryEntry),
        next_cursor: more ? encodeCursor(page[page.length - 1].seq) : null,
      };
    });
  }

  audit(opts: PageOptions & { target?: string }): Promise<Page<AuditEntry>> {
    return this.run(() => {
      const before = opts.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(opts.cursor, isNumber);
      const rows = (
        opts.target === undefined
          ? this.db
              .prepare('SELECT seq, doc FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?')
              .all(before, opts.limit + 1)
          : this.db
              .prepare('SELECT seq, doc FROM audit WHERE target = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
              .all(opts.target, before, opts.limit + 1)
      ) as { seq: number; doc: string }[];
      const more = rows.length > opts.limit;
      const page = more ? rows.slice(0, opts.limit) : rows;
      return {
        items: page.map((r) => JSON.parse(r.doc) as AuditEntry),
        next_cursor: more ? encodeCursor(page[page.length - 1].seq) : null,
      };
    });
  }

  ping(): Promise<void> {
    return this.run(() => {
      this.db.prepare('SELECT 1').get();
    });
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
