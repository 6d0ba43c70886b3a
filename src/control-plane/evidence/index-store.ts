/**
 * The evidence index: a queryable copy of `signal_factory.evidence` for debugging and status
 * checks (GET /v1/evidence). Embedded SQLite; inserts are idempotent on evidence_id, so
 * redelivered events do no harm. Old rows are pruned beyond maxRows.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EvidenceEvent } from '../../models/index.js';
import { decodeCursor, encodeCursor, type Page } from '../store/types.js';

export interface EvidenceQuery {
  dataset_urn?: string;
  result?: 'PASS' | 'FAIL';
  /** ISO timestamp: events with timestamp >= since. */
  since?: string;
  /** ISO timestamp: events with timestamp < until. */
  until?: string;
  /** A gate in validation.failed_gates. */
  gate?: string;
  /** `CODE:path` matches exactly; a bare `CODE` also matches every `CODE:<path>`. */
  reason_code?: string;
  raw_topic?: string;
  /** producer.producer_id */
  producer?: string;
  limit: number;
  cursor?: string;
}

export interface EvidenceIndex {
  insert(events: readonly EvidenceEvent[]): number;
  query(q: EvidenceQuery): Page<EvidenceEvent>;
  get(evidenceId: string): EvidenceEvent | undefined;
  count(): number;
  close(): void;
}

type Cursor = [string, string];

/** Timestamps are compared as strings: normalise to one ISO form so that order is time order. */
function isoTs(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toISOString();
}
const isCursor = (v: unknown): v is Cursor =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

export class SqliteEvidenceIndex implements EvidenceIndex {
  private readonly db: Database.Database;
  private readonly ins: Database.Statement;
  private inserted = 0;

  constructor(
    path: string,
    private readonly maxRows = 1_000_000,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS evidence (
        evidence_id TEXT PRIMARY KEY, ts TEXT NOT NULL, dataset_urn TEXT, result TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS evidence_ts ON evidence (ts, evidence_id);
      CREATE INDEX IF NOT EXISTS evidence_ds_ts ON evidence (dataset_urn, ts, evidence_id);`);
    this.ins = this.db.prepare(
      'INSERT OR IGNORE INTO evidence (evidence_id, ts, dataset_urn, result, doc) VALUES (?, ?, ?, ?, ?)',
    );
  }

  insert(events: readonly EvidenceEvent[]): number {
    const n = this.db.transaction(() => {
      let added = 0;
      for (const e of events) {
        added += this.ins.run(
          e.evidence_id,
          isoTs(e.timestamp),
          e.dataset_urn,
          e.validation.result,
          JSON.stringify(e),
        ).changes;
      }
      return added;
    })();
    this.inserted += n;
    if (this.inserted >= 10_000) this.prune();
    return n;
  }

  private prune(): void {
    this.inserted = 0;
    const excess = this.count() - this.maxRows;
    if (excess > 0) {
      this.db
        .prepare('DELETE FROM evidence WHERE rowid IN (SELECT rowid FROM evidence ORDER BY ts, evidence_id LIMIT ?)')
        .run(excess);
    }
  }

  /** Newest first, by (timestamp, evidence_id). */
  query(q: EvidenceQuery): Page<EvidenceEvent> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.dataset_urn !== undefined) where.push('dataset_urn = ?') && args.push(q.dataset_urn);
    if (q.result !== undefined) where.push('result = ?') && args.push(q.result);
    if (q.since !== undefined) where.push('ts >= ?') && args.push(isoTs(q.since));
    if (q.until !== undefined) where.push('ts < ?') && args.push(isoTs(q.until));
    // The rarer filters read the stored document (JSON1): this index is for debugging, not analytics.
    if (q.raw_topic !== undefined) where.push("json_extract(doc, '$.source.raw_topic') = ?") && args.push(q.raw_topic);
    if (q.producer !== undefined)
      where.push("json_extract(doc, '$.producer.producer_id') = ?") && args.push(q.producer);
    if (q.gate !== undefined) {
      where.push("EXISTS (SELECT 1 FROM json_each(doc, '$.validation.failed_gates') WHERE value = ?)");
      args.push(q.gate);
    }
    if (q.reason_code !== undefined) {
      // substr, not LIKE: LIKE ignores case and treats _ (common in codes) as a wildcard.
      const exact = q.reason_code.includes(':');
      const prefix = `${q.reason_code}:`;
      where.push(
        `EXISTS (SELECT 1 FROM json_each(doc, '$.validation.reason_codes') WHERE value = ?${exact ? '' : ' OR substr(value, 1, ?) = ?'})`,
      );
      args.push(q.reason_code, ...(exact ? [] : [prefix.length, prefix]));
    }
    if (q.cursor !== undefined) {
      const [ts, id] = decodeCursor(q.cursor, isCursor);
      where.push('(ts < ? OR (ts = ? AND evidence_id < ?))');
      args.push(ts, ts, id);
    }
    const sql = `SELECT ts, evidence_id, doc FROM evidence ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ts DESC, evidence_id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit + 1) as { ts: string; evidence_id: string; doc: string }[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map((r) => JSON.parse(r.doc) as EvidenceEvent),
      next_cursor: more ? encodeCursor([last.ts, last.evidence_id]) : null,
    };
  }

  get(evidenceId: string): EvidenceEvent | undefined {
    const row = this.db.prepare('SELECT doc FROM evidence WHERE evidence_id = ?').get(evidenceId) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as EvidenceEvent) : undefined;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM evidence').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
