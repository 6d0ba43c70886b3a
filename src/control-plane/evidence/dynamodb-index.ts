/**
 * The shared evidence index on DynamoDB, for several control-plane replicas (EKS). Tables:
 *   `<prefix>-evidence`: FAIL evidence, hash `evidence_id`; GSIs `by-time` (shard, sk),
 *     `by-dataset` (dss = `<dataset>#<shard>`, sk) and `by-source` (src: raw topic/partition/offset);
 *     sk = `<ISO ts>#<id>` sorts by time; `expires_at` is the TTL attribute. The shard (a hash of
 *     the evidence id, SHARDS of them) spreads a burst of FAIL evidence over SHARDS index partitions
 *     (one takes ~1000 writes/s); a query merges the SHARDS newest-first streams.
 *   `<prefix>-evidence-counts`: hash `ds`, range `mp` = `<minute>#<evidence partition>`, with
 *     `pass`, `fail` and `hi`, the highest evidence offset counted (TTL `expires_at` too). The
 *     same table holds the count checkpoints: ds = CHECKPOINT_DS, mp = `<evidence topic>#<partition>`,
 *     `next` and `raw` (the raw watermarks, JSON), written after the batch's counts, forward only.
 * Replicas share one consumer group, so each evidence partition is read by one replica at a time;
 * a count update is conditioned on `hi` below the batch's first offset, so a batch redelivered
 * after a rebalance or crash is counted once (see countAbove). Queries pick one access path
 * (source, dataset or time) and apply the other filters to the documents they read.
 * DynamoDB deletes expired items within about two days, so reads also skip expired ones.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { EvidenceEvent } from '../../models/index.js';
import { decodeCursor, encodeCursor, type Page } from '../store/types.js';
import {
  type CountCheckpoint,
  type CountGroup,
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
  matches,
  minuteOf,
  retentionCutoff,
  sourceKey,
} from './index-store.js';

type Item = Record<string, AttributeValue>;

export function evidenceTableNames(prefix: string) {
  const p = /[-_.]$/.test(prefix) || prefix === '' ? prefix : `${prefix}-`;
  return { evidence: `${p}evidence`, counts: `${p}evidence-counts` };
}

/** Creates the two tables with their indexes and TTL if missing. Idempotent. */
export async function createEvidenceTables(client: DynamoDBClient, prefix: string): Promise<void> {
  const t = evidenceTableNames(prefix);
  const exists = async (name: string) => {
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
      return true;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return false;
      throw err;
    }
  };
  const S = 'S' as const;
  const gsi = (name: string, hash: string, range?: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: hash, KeyType: 'HASH' as const },
      ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  if (!(await exists(t.evidence))) {
    await client.send(
      new CreateTableCommand({
        TableName: t.evidence,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['evidence_id', 'shard', 'dss', 'sk', 'src'].map((n) => ({
          AttributeName: n,
          AttributeType: S,
        })),
        KeySchema: [{ AttributeName: 'evidence_id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          gsi('by-time', 'shard', 'sk'),
          gsi('by-dataset', 'dss', 'sk'),
          gsi('by-source', 'src'),
        ],
      }),
    );
  }
  if (!(await exists(t.counts))) {
    await client.send(
      new CreateTableCommand({
        TableName: t.counts,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'ds', AttributeType: S },
          { AttributeName: 'mp', AttributeType: S },
        ],
        KeySchema: [
          { AttributeName: 'ds', KeyType: 'HASH' },
          { AttributeName: 'mp', KeyType: 'RANGE' },
        ],
      }),
    );
  }
  for (const name of [t.evidence, t.counts]) {
    await client
      .send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        }),
      )
      .catch((err: Error) => {
        // Enabling TTL twice is refused ("already enabled"): that is the state we want.
        if (!/already enabled/i.test(err.message)) throw err;
      });
  }
}

/** Items read per page of a filtered query before answering with a cursor (bounds one request's cost). */
const MAX_READ_PER_PAGE = 5000;
const BATCH_WRITE = 25;
const MAX_UNPROCESSED_RETRIES = 8;
const COUNT_CONCURRENCY = 8;
export const SHARDS = 16;

/** The evidence id's shard: a stable string hash (FNV-1a), so rewrites land on the same shard. */
export function shardOf(evidenceId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < evidenceId.length; i++) h = Math.imul(h ^ evidenceId.charCodeAt(i), 0x01000193);
  return String((h >>> 0) % SHARDS);
}
const datasetShard = (dataset: string, shard: string) => `${dataset}#${shard}`;
const ALL_SHARDS = Array.from({ length: SHARDS }, (_, i) => String(i));

type Cursor = [string];
const isCursor = (v: unknown): v is Cursor => Array.isArray(v) && v.length === 1 && typeof v[0] === 'string';
const sortKey = (e: EvidenceEvent) => `${isoTs(e.timestamp)}#${e.evidence_id}`;
const countKey = (minute: string, partition: number) => `${minute}#${partition}`;
/** The hash key of checkpoint items in the counts table (no dataset key starts with '#'). */
export const CHECKPOINT_DS = '#count-checkpoint';
const checkpointKey = (topic: string, partition: number) => ({
  ds: { S: CHECKPOINT_DS },
  mp: { S: `${topic}#${partition}` },
});
const epochSec = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

export class DynamoEvidenceIndex implements EvidenceIndex {
  readonly kind = 'dynamodb' as const;
  private readonly t: ReturnType<typeof evidenceTableNames>;

  constructor(
    private readonly client: DynamoDBClient,
    prefix: string,
    readonly retentionDays = 14,
  ) {
    this.t = evidenceTableNames(prefix);
  }

  private expiresAt(ts: string): number {
    return epochSec(ts) + this.retentionDays * 86_400;
  }

  /**
   * FAIL items, then counts, then checkpoints. Not one transaction (TransactWriteItems holds 100
   * items; a batch touches more): a crash after the counts leaves the old checkpoint, the batch is
   * decided again identically, and each count item's `hi` refuses what it already added.
   */
  async insert(batch: readonly IndexedEvidence[], checkpoints: readonly CountCheckpoint[] = []): Promise<InsertResult> {
    const cutoff = retentionCutoff(this.retentionDays);
    const puts: WriteRequest[] = [];
    const seen = new Set<string>();
    for (const { event: e } of batch) {
      const ts = isoTs(e.timestamp);
      // BatchWriteItem refuses two writes of one key in a request: a redelivery inside a batch.
      if (e.validation.result !== 'FAIL' || ts < cutoff || seen.has(e.evidence_id)) continue;
      seen.add(e.evidence_id);
      puts.push({ PutRequest: { Item: this.item(e) } });
    }
    for (let i = 0; i < puts.length; i += BATCH_WRITE) await this.batchWrite(puts.slice(i, i + BATCH_WRITE));
    const groups = countGroups(batch).filter((g) => g.minute >= minuteOf(cutoff));
    let counted = 0;
    for (let i = 0; i < groups.length; i += COUNT_CONCURRENCY) {
      const added = await Promise.all(groups.slice(i, i + COUNT_CONCURRENCY).map((g) => this.count(g)));
      for (const n of added) counted += n;
    }
    await Promise.all(checkpoints.map((c) => this.putCheckpoint(c)));
    return { stored: puts.length, counted };
  }

  private async putCheckpoint(c: CountCheckpoint): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.t.counts,
          Item: {
            ...checkpointKey(c.topic, c.partition),
            next: { N: String(c.next) },
            raw: { S: JSON.stringify(c.raw) },
          },
          // Forward only: a member that lost the partition mid-batch cannot move its successor's back.
          ConditionExpression: 'attribute_not_exists(#next) OR #next < :next',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: { ':next': { N: String(c.next) } },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async checkpoint(topic: string, partition: number): Promise<CountCheckpoint | undefined> {
    const r = await this.client.send(
      new GetItemCommand({ TableName: this.t.counts, Key: checkpointKey(topic, partition), ConsistentRead: true }),
    );
    if (!r.Item) return undefined;
    return { topic, partition, next: Number(r.Item.next.N), raw: JSON.parse(r.Item.raw.S as string) };
  }

  private item(e: EvidenceEvent): Item {
    const ts = isoTs(e.timestamp);
    const shard = shardOf(e.evidence_id);
    return {
      evidence_id: { S: e.evidence_id },
      shard: { S: shard },
      dss: { S: datasetShard(datasetKey(e.dataset_urn), shard) },
      sk: { S: sortKey(e) },
      src: { S: sourceKey(e.source.raw_topic, e.source.partition, e.source.offset) },
      expires_at: { N: String(this.expiresAt(ts)) },
      doc: { S: JSON.stringify(e) },
    };
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_RETRIES) {
        throw new Error(`dynamodb evidence index: ${pending.length} writes still unprocessed (throttled)`);
      }
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const r = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.t.evidence]: pending } }));
      pending = r.UnprocessedItems?.[this.t.evidence] ?? [];
    }
  }

  /** Adds the group's uncounted entries to its item; returns how many were added. */
  private async count(g: CountGroup): Promise<number> {
    const Key = { ds: { S: g.dataset }, mp: { S: countKey(g.minute, g.partition) } };
    let hi: number | null = null;
    // First try: nothing of this group counted yet (the common case, one write). Else read hi and retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      const add = countAbove(g, hi);
      if (!add) return 0;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.t.counts,
            Key,
            UpdateExpression: 'ADD #pass :pass, #fail :fail SET #hi = :hi, expires_at = :exp',
            ConditionExpression: hi === null ? 'attribute_not_exists(#hi) OR #hi < :lo' : '#hi = :seen',
            ExpressionAttributeNames: { '#pass': 'pass', '#fail': 'fail', '#hi': 'hi' },
            ExpressionAttributeValues: {
              ':pass': { N: String(add.pass) },
              ':fail': { N: String(add.fail) },
              ':hi': { N: String(add.hi) },
              ':exp': { N: String(this.expiresAt(g.minute) + 60) },
              ...(hi === null ? { ':lo': { N: String(g.entries[0].offset) } } : { ':seen': { N: String(hi) } }),
            },
          }),
        );
        return add.pass + add.fail;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        const r = await this.client.send(new GetItemCommand({ TableName: this.t.counts, Key, ConsistentRead: true }));
        hi = r.Item?.hi?.N === undefined ? null : Number(r.Item.hi.N);
      }
    }
    throw new Error(`dynamodb evidence index: count item ${g.dataset} ${g.minute} kept changing`);
  }

  async query(q: EvidenceQuery): Promise<Page<EvidenceEvent>> {
    if (q.result === 'PASS') return { items: [], next_cursor: null };
    const now = Math.floor(Date.now() / 1000);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isCursor)[0];
    // Nothing older than the retention is kept: never search before it.
    const cutoff = retentionCutoff(this.retentionDays);
    const lo = q.since === undefined || isoTs(q.since) < cutoff ? cutoff : isoTs(q.since);
    const untilIso = q.until === undefined ? '9999' : isoTs(q.until);
    // sk = `<ts>#<id>`: every sk of ts < until sorts below `until` itself; the cursor is exclusive.
    const hi = after !== undefined && after < untilIso ? after : untilIso;
    const items: EvidenceEvent[] = [];
    let read = 0;
    let last: string | undefined;
    const take = (it: Item): boolean => {
      const sk = it.sk.S as string;
      read++;
      if (sk === after) return true;
      last = sk;
      if (Number(it.expires_at.N) <= now) return true;
      const e = JSON.parse(it.doc.S as string) as EvidenceEvent;
      if (matches(e, q)) items.push(e);
      return items.length < q.limit && read < MAX_READ_PER_PAGE;
    };
    if (q.raw_topic !== undefined && q.partition !== undefined && q.offset !== undefined) {
      const found = await this.queryAll('by-source', 'src', sourceKey(q.raw_topic, q.partition, q.offset));
      found.sort((a, b) => ((a.sk.S as string) < (b.sk.S as string) ? 1 : -1));
      for (const it of found) {
        const sk = it.sk.S as string;
        if (sk < lo || sk >= hi) continue;
        if (!take(it)) break;
      }
      return { items, next_cursor: null };
    }
    const index = q.dataset_urn === undefined ? 'by-time' : 'by-dataset';
    const hash = q.dataset_urn === undefined ? 'shard' : 'dss';
    const values = ALL_SHARDS.map((sh) => (q.dataset_urn === undefined ? sh : datasetShard(q.dataset_urn, sh)));
    let more = false;
    for await (const it of this.newestFirst(index, hash, values, lo, hi, q.limit + 1)) {
      if (!take(it)) {
        more = true;
        break;
      }
    }
    // A full page (or the read budget) may have more behind it; the next page starts after `last`.
    return { items, next_cursor: more && last !== undefined ? encodeCursor([last]) : null };
  }

  /** Merges the shards' newest-first streams (each paged lazily) into one, by sk. */
  private async *newestFirst(index: string, hash: string, values: string[], lo: string, hi: string, page: number) {
    const streams = values.map((value) => ({
      value,
      buf: [] as Item[],
      start: undefined as Item | undefined,
      done: false,
    }));
    const fill = async (s: (typeof streams)[number]) => {
      while (s.buf.length === 0 && !s.done) {
        const r = await this.client.send(
          new QueryCommand({
            TableName: this.t.evidence,
            IndexName: index,
            KeyConditionExpression: '#h = :h AND sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#h': hash },
            ExpressionAttributeValues: { ':h': { S: s.value }, ':lo': { S: lo }, ':hi': { S: hi } },
            ScanIndexForward: false,
            Limit: Math.min(1000, page),
            ExclusiveStartKey: s.start,
          }),
        );
        s.buf = r.Items ?? [];
        s.start = r.LastEvaluatedKey;
        s.done = s.start === undefined;
      }
    };
    await Promise.all(streams.map(fill));
    for (;;) {
      let best: (typeof streams)[number] | undefined;
      for (const s of streams) {
        if (s.buf.length > 0 && (!best || (s.buf[0].sk.S as string) > (best.buf[0].sk.S as string))) best = s;
      }
      if (!best) return;
      yield best.buf.shift() as Item;
      if (best.buf.length === 0) await fill(best);
    }
  }

  private async queryAll(index: string, hash: string, value: string): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.t.evidence,
          IndexName: index,
          KeyConditionExpression: '#h = :h',
          ExpressionAttributeNames: { '#h': hash },
          ExpressionAttributeValues: { ':h': { S: value } },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async get(evidenceId: string): Promise<EvidenceEvent | undefined> {
    const r = await this.client.send(
      new GetItemCommand({ TableName: this.t.evidence, Key: { evidence_id: { S: evidenceId } } }),
    );
    if (!r.Item || Number(r.Item.expires_at.N) <= Date.now() / 1000) return undefined;
    return JSON.parse(r.Item.doc.S as string) as EvidenceEvent;
  }

  async counts(q: CountsQuery): Promise<MinuteCount[]> {
    const byMinute = new Map<string, MinuteCount>();
    let start: Item | undefined;
    do {
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.t.counts,
          KeyConditionExpression: 'ds = :ds AND mp BETWEEN :lo AND :hi',
          ExpressionAttributeValues: {
            ':ds': { S: datasetKey(q.dataset_urn) },
            ':lo': { S: minuteOf(q.since) },
            // Every `<minute>#<p>` of a minute before `until` sorts below `until`.
            ':hi': { S: isoTs(q.until) },
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const it of r.Items ?? []) {
        const minute = (it.mp.S as string).split('#')[0];
        const m = byMinute.get(minute) ?? { minute, pass: 0, fail: 0 };
        m.pass += Number(it.pass?.N ?? 0);
        m.fail += Number(it.fail?.N ?? 0);
        byMinute.set(minute, m);
      }
      start = r.LastEvaluatedKey;
    } while (start);
    return [...byMinute.values()].sort((a, b) => (a.minute < b.minute ? -1 : 1));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
