/**
 * The embedded evidence index (SQLite): one file per control-plane replica, each replica
 * consuming every evidence partition (its own consumer group). FAIL evidence older than the
 * retention is deleted about once a minute; SF_EVIDENCE_INDEX_MAX_ROWS optionally caps the rows too
 * (a disk guard, oldest first).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EvidenceEvent } from '../../models/index.js';
import { decodeCursor, encodeCursor, type Page } from '../store/types.js';
import {
  type CountCheckpoint,
  type CountsQuery,
  countAbove,
  countGroups,
  datasetKey,
  type EvidenceIndex,
  type EvidenceQuery,
  type IndexedEvidence,
  type InsertResult,
  isoTs,
  type MinuteCount,
  minuteOf,
  retentionCutoff,
} from './index-store.js';

type Cursor = [string, string];
const isCursor = (v: unknown): v is Cursor =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

const PRUNE_EVERY_MS = 60_000;

export interface SqliteIndexOptions {
  retentionDays?: number;
  /** Optional cap on FAIL rows (oldest deleted first); none by default. */
  maxRows?: number;
}

export class SqliteEvidenceIndex implements EvidenceIndex {
  readonly kind = 'sqlite' as const;
  readonly retentionDays: number;
  private readonly db: Database.Database;
  private readonly ins: Database.Statement;
  private readonly hiOf: Database.Statement;
  private readonly addCount: Database.Statement;
  private readonly putCheckpoint: Database.Statement;
  private readonly getCheckpoint: Database.Statement;
  private lastPrune = 0;

  constructor(
    path: string,
    private readonly opts: SqliteIndexOptions = {},
  ) {
    this.retentionDays = opts.retentionDays ?? 14;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    // The table of the first index (every event, capped in rows) is replaced by the two below;
    // the index is a copy of the topic, so dropping it loses nothing.
    this.db.exec(`
      DROP TABLE IF EXISTS evidence;
      CREATE TABLE IF NOT EXISTS fail_evidence (
        evidence_id TEXT PRIMARY KEY, ts TEXT NOT NULL, dataset_urn TEXT,
        raw_topic TEXT NOT NULL, raw_partition INTEGER NOT NULL, raw_offset INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS fail_evidence_ts ON fail_evidence (ts, evidence_id);
      CREATE INDEX IF NOT EXISTS fail_evidence_ds_ts ON fail_evidence (dataset_urn, ts, evidence_id);
      CREATE INDEX IF NOT EXISTS fail_evidence_source ON fail_evidence (raw_topic, raw_partition, raw_offset);
      CREATE TABLE IF NOT EXISTS minute_counts (
        dataset TEXT NOT NULL, minute TEXT NOT NULL, evidence_partition INTEGER NOT NULL,
        pass INTEGER NOT NULL, fail INTEGER NOT NULL, hi INTEGER NOT NULL,
        PRIMARY KEY (dataset, minute, evidence_partition));
      CREATE TABLE IF NOT EXISTS count_checkpoints (
        topic TEXT NOT NULL, evidence_partition INTEGER NOT NULL, next INTEGER NOT NULL, raw TEXT NOT NULL,
        PRIMARY KEY (topic, evidence_partition));`);
    this.ins = this.db.prepare(
      `INSERT OR IGNORE INTO fail_evidence (evidence_id, ts, dataset_urn, raw_topic, raw_partition, raw_offset, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.hiOf = this.db.prepare(
      'SELECT hi FROM minute_counts WHERE dataset = ? AND minute = ? AND evidence_partition = ?',
    );
    this.addCount = this.db.prepare(
      `INSERT INTO minute_counts (dataset, minute, evidence_partition, pass, fail, hi) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET pass = pass + excluded.pass, fail = fail + excluded.fail, hi = excluded.hi`,
    );
    // Forward only: a member that lost the partition mid-batch cannot move its successor's back.
    this.putCheckpoint = this.db.prepare(
      `INSERT INTO count_checkpoints (topic, evidence_partition, next, raw) VALUES (?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET next = excluded.next, raw = excluded.raw WHERE excluded.next > next`,
    );
    this.getCheckpoint = this.db.prepare(
      'SELECT next, raw FROM count_checkpoints WHERE topic = ? AND evidence_partition = ?',
    );
  }

  /** One transaction: FAIL rows, counts and checkpoints are stored together or not at all. */
  async insert(batch: readonly IndexedEvidence[], checkpoints: readonly CountCheckpoint[] = []): Promise<InsertResult> {
    const cutoff = retentionCutoff(this.retentionDays);
    const r = this.db.transaction(() => {
      let stored = 0;
      let counted = 0;
      for (const { event: e } of batch) {
        const ts = isoTs(e.timestamp);
        if (e.validation.result !== 'FAIL' || ts < cutoff) continue;
        const s = e.source;
        stored += this.ins.run(
          e.evidence_id,
          ts,
          e.dataset_urn,
          s.raw_topic,
          s.partition,
          s.offset,
          JSON.stringify(e),
        ).changes;
      }
      for (const g of countGroups(batch)) {
        if (g.minute < cutoff) continue;
        const row = this.hiOf.get(g.dataset, g.minute, g.partition) as { hi: number } | undefined;
        const add = countAbove(g, row ? row.hi : null);
        if (!add) continue;
        this.addCount.run(g.dataset, g.minute, g.partition, add.pass, add.fail, add.hi);
        counted += add.pass + add.fail;
      }
      for (const c of checkpoints) this.putCheckpoint.run(c.topic, c.partition, c.next, JSON.stringify(c.raw));
      return { stored, counted };
    })();
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) this.prune();
    return r;
  }

  /** Deletes what is past the retention (and beyond the optional row cap). */
  prune(now = Date.now()): void {
    this.lastPrune = now;
    const cutoff = retentionCutoff(this.retentionDays, now);
    this.db.prepare('DELETE FROM fail_evidence WHERE ts < ?').run(cutoff);
    this.db.prepare('DELETE FROM minute_counts WHERE minute < ?').run(minuteOf(cutoff));
    const excess = this.opts.maxRows === undefined ? 0 : this.count() - this.opts.maxRows;
    if (excess > 0) {
      this.db
        .prepare(
          'DELETE FROM fail_evidence WHERE rowid IN (SELECT rowid FROM fail_evidence ORDER BY ts, evidence_id LIMIT ?)',
        )
        .run(excess);
    }
  }

  /** Newest first, by (timestamp, evidence_id). Only FAIL evidence is kept: result=PASS finds nothing. */
  async query(q: EvidenceQuery): Promise<Page<EvidenceEvent>> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      args.push(...values);
    };
    if (q.result === 'PASS') return { items: [], next_cursor: null };
    if (q.dataset_urn !== undefined) add('dataset_urn = ?', q.dataset_urn);
    if (q.since !== undefined) add('ts >= ?', isoTs(q.since));
    if (q.until !== undefined) add('ts < ?', isoTs(q.until));
    if (q.raw_topic !== undefined) add('raw_topic = ?', q.raw_topic);
    if (q.partition !== undefined) add('raw_partition = ?', q.partition);
    if (q.offset !== undefined) add('raw_offset = ?', q.offset);
    // The rarer filters read the stored document (JSON1): this index is for debugging, not analytics.
    if (q.producer !== undefined) add("json_extract(doc, '$.producer.producer_id') = ?", q.producer);
    if (q.gate !== undefined) {
      add("EXISTS (SELECT 1 FROM json_each(doc, '$.validation.failed_gates') WHERE value = ?)", q.gate);
    }
    if (q.reason_code !== undefined) {
      // substr, not LIKE: LIKE ignores case and treats _ (common in codes) as a wildcard.
      const exact = q.reason_code.includes(':');
      const prefix = `${q.reason_code}:`;
      add(
        `EXISTS (SELECT 1 FROM json_each(doc, '$.validation.reason_codes') WHERE value = ?${exact ? '' : ' OR substr(value, 1, ?) = ?'})`,
        q.reason_code,
        ...(exact ? [] : [prefix.length, prefix]),
      );
    }
    if (q.cursor !== undefined) {
      const [ts, id] = decodeCursor(q.cursor, isCursor);
      add('(ts < ? OR (ts = ? AND evidence_id < ?))', ts, ts, id);
    }
    const sql = `SELECT ts, evidence_id, doc FROM fail_evidence ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
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

  async checkpoint(topic: string, partition: number): Promise<CountCheckpoint | undefined> {
    const row = this.getCheckpoint.get(topic, partition) as { next: number; raw: string } | undefined;
    return row ? { topic, partition, next: row.next, raw: JSON.parse(row.raw) } : undefined;
  }

  async get(evidenceId: string): Promise<EvidenceEvent | undefined> {
    const row = this.db.prepare('SELECT doc FROM fail_evidence WHERE evidence_id = ?').get(evidenceId) as
      | { doc: string }
      | undefined;
    return row ? (JSON.parse(row.doc) as EvidenceEvent) : undefined;
  }

  async counts(q: CountsQuery): Promise<MinuteCount[]> {
    return this.db
      .prepare(
        `SELECT minute, sum(pass) AS pass, sum(fail) AS fail FROM minute_counts
         WHERE dataset = ? AND minute >= ? AND minute < ? GROUP BY minute ORDER BY minute`,
      )
      .all(datasetKey(q.dataset_urn), minuteOf(q.since), isoTs(q.until)) as MinuteCount[];
  }

  /** FAIL rows held (tests and the row cap). */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM fail_evidence').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
