/**
 * DynamoDB store. Tables (`<prefix>-<name>`): policy, resolution, contract, dataset_ops,
 * global_ops (hash key `key`), audit (hash `log`, range `seq`), history (hash `entity`
 * = `<kind>/<key>`, range `seq`: the full body of every version of a HISTORY_KINDS entity) and
 * meta (hash `name`).
 *
 * Every commit is one TransactWriteItems: the entity put conditioned on its version, the meta
 * watermark put conditioned on the value read just before, and the audit put at seq = new
 * watermark (plus, for a kind with history, the history put at the same seq). Changes are thereby serialised store-wide (admin write rates are low), the
 * watermark has no gaps, and no update is lost under concurrent PUTs.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  type Put,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { StoreError, VersionConflictError } from '../errors.js';
import type { AuditEntry } from '../schemas.js';
import {
  type ControlPlaneStore,
  decodeCursor,
  ENTITY_KINDS,
  type EntityKind,
  encodeCursor,
  HISTORY_KINDS,
  type HistoryEntry,
  type Mutation,
  type Page,
  type PageOptions,
  type Versioned,
} from './types.js';

const AUDIT_LOG = 'audit';
const WATERMARK = 'watermark';
const MAX_WATERMARK_RETRIES = 20;

export function tableNames(prefix: string) {
  const p = /[-_.]$/.test(prefix) || prefix === '' ? prefix : `${prefix}-`;
  const entity = Object.fromEntries(ENTITY_KINDS.map((k) => [k, `${p}${k.replace('_', '-')}`])) as Record<
    EntityKind,
    string
  >;
  return { entity, audit: `${p}audit`, meta: `${p}meta`, history: `${p}history` };
}

/** Creates the tables if missing (bootstrap; the stack script calls this). Idempotent. */
export async function createTables(client: DynamoDBClient, prefix: string): Promise<void> {
  const t = tableNames(prefix);
  const specs: { name: string; hash: string; range?: string }[] = [
    ...Object.values(t.entity).map((name) => ({ name, hash: 'key' })),
    { name: t.audit, hash: 'log', range: 'seq' },
    { name: t.history, hash: 'entity', range: 'seq' },
    { name: t.meta, hash: 'name' },
  ];
  for (const s of specs) {
    try {
      await client.send(new DescribeTableCommand({ TableName: s.name }));
      continue;
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    await client.send(
      new CreateTableCommand({
        TableName: s.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: s.hash, AttributeType: 'S' },
          ...(s.range ? [{ AttributeName: s.range, AttributeType: 'N' as const }] : []),
        ],
        KeySchema: [
          { AttributeName: s.hash, KeyType: 'HASH' },
          ...(s.range ? [{ AttributeName: s.range, KeyType: 'RANGE' as const }] : []),
        ],
      }),
    );
  }
}

type Item = Record<string, AttributeValue>;
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const docOf = <T>(item: Item): T => JSON.parse(item.doc.S as string) as T;

export class DynamoStore implements ControlPlaneStore {
  readonly kind = 'dynamodb' as const;
  private readonly t: ReturnType<typeof tableNames>;

  constructor(
    private readonly client: DynamoDBClient,
    prefix: string,
  ) {
    this.t = tableNames(prefix);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (err instanceof VersionConflictError || code === 'INVALID_CURSOR') throw err;
      throw new StoreError(`dynamodb store: ${(err as Error).message}`, { cause: err });
    }
  }

  get<T extends Versioned>(kind: EntityKind, key: string): Promise<T | undefined> {
    return this.call(async () => {
      const r = await this.client.send(
        new GetItemCommand({ TableName: this.t.entity[kind], Key: { key: { S: key } }, ConsistentRead: true }),
      );
      return r.Item ? docOf<T>(r.Item) : undefined;
    });
  }

  list<T extends Versioned>(kind: EntityKind, opts: PageOptions): Promise<Page<T>> {
    return this.call(async () => {
      const start = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, isString);
      const r = await this.client.send(
        new ScanCommand({
          TableName: this.t.entity[kind],
          Limit: opts.limit,
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: { key: { S: start } } }),
        }),
      );
      const last = r.LastEvaluatedKey?.key?.S;
      return { items: (r.Items ?? []).map((i) => docOf<T>(i)), next_cursor: last ? encodeCursor(last) : null };
    });
  }

  all<T extends Versioned>(kind: EntityKind): Promise<T[]> {
    return this.call(async () => {
      const out: T[] = [];
      let start: Item | undefined;
      do {
        const r = await this.client.send(
          new ScanCommand({ TableName: this.t.entity[kind], ConsistentRead: true, ExclusiveStartKey: start }),
        );
        for (const i of r.Items ?? []) out.push(docOf<T>(i));
        start = r.LastEvaluatedKey;
      } while (start);
      return out;
    });
  }

  watermark(): Promise<number> {
    return this.call(() => this.readWatermark());
  }

  private async readWatermark(): Promise<number> {
    const r = await this.client.send(
      new GetItemCommand({ TableName: this.t.meta, Key: { name: { S: WATERMARK } }, ConsistentRead: true }),
    );
    return r.Item ? Number(r.Item.value.N) : 0;
  }

  commit(m: Mutation): Promise<number> {
    return this.call(async () => {
      for (let attempt = 0; attempt < MAX_WATERMARK_RETRIES; attempt++) {
        const w = m.atWatermark ?? (await this.readWatermark());
        const next = w + 1;
        const entry: AuditEntry = { seq: next, ...m.audit };
        try {
          await this.client.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                this.entityWrite(m),
                this.watermarkWrite(w),
                this.auditWrite(entry),
                ...(HISTORY_KINDS.has(m.kind) ? [this.historyWrite(m, entry)] : []),
              ],
            }),
          );
          return next;
        } catch (err) {
          if (!(err instanceof TransactionCanceledException)) throw err;
          const reasons = err.CancellationReasons ?? [];
          const entityLost = reasons[0]?.Code === 'ConditionalCheckFailed';
          const watermarkLost = reasons[1]?.Code === 'ConditionalCheckFailed';
          if (entityLost || (watermarkLost && m.atWatermark !== undefined)) {
            throw new VersionConflictError(`${m.kind} ${m.key} changed`);
          }
          // Another change took the watermark (or a transient TransactionConflict): retry with a fresh one.
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
        }
      }
      throw new VersionConflictError('store too busy: could not take the watermark');
    });
  }

  /** Moves the watermark from w to w + 1, failing if another change took w first. */
  private watermarkWrite(w: number): TransactWriteItem {
    return {
      Put: {
        TableName: this.t.meta,
        Item: { name: { S: WATERMARK }, value: { N: String(w + 1) } },
        ConditionExpression: w === 0 ? 'attribute_not_exists(#n) OR #val = :w' : '#val = :w',
        ExpressionAttributeNames: w === 0 ? { '#n': 'name', '#val': 'value' } : { '#val': 'value' },
        ExpressionAttributeValues: { ':w': { N: String(w) } },
      },
    };
  }

  private auditWrite(entry: AuditEntry): TransactWriteItem {
    return {
      Put: {
        TableName: this.t.audit,
        Item: {
          log: { S: AUDIT_LOG },
          seq: { N: String(entry.seq) },
          target: { S: entry.target },
          doc: { S: JSON.stringify(entry) },
        },
      },
    };
  }

  private historyWrite(m: Mutation, entry: AuditEntry): TransactWriteItem {
    const h: HistoryEntry = { ...entry, body: m.doc };
    return {
      Put: {
        TableName: this.t.history,
        Item: { entity: { S: `${m.kind}/${m.key}` }, seq: { N: String(entry.seq) }, doc: { S: JSON.stringify(h) } },
      },
    };
  }

  appendAudit(audit: Omit<AuditEntry, 'seq'>): Promise<number> {
    return this.call(async () => {
      for (let attempt = 0; attempt < MAX_WATERMARK_RETRIES; attempt++) {
        const w = await this.readWatermark();
        const next = w + 1;
        try {
          await this.client.send(
            new TransactWriteItemsCommand({
              TransactItems: [this.watermarkWrite(w), this.auditWrite({ seq: next, ...audit })],
            }),
          );
          return next;
        } catch (err) {
          if (!(err instanceof TransactionCanceledException)) throw err;
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
        }
      }
      throw new VersionConflictError('store too busy: could not take the watermark');
    });
  }

  history(kind: EntityKind, key: string, opts: PageOptions): Promise<Page<HistoryEntry>> {
    return this.call(async () => {
      const before = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, isNumber);
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.t.history,
          KeyConditionExpression: before === undefined ? '#e = :e' : '#e = :e AND #s < :s',
          ExpressionAttributeNames: { '#e': 'entity', ...(before === undefined ? {} : { '#s': 'seq' }) },
          ExpressionAttributeValues: {
            ':e': { S: `${kind}/${key}` },
            ...(before === undefined ? {} : { ':s': { N: String(before) } }),
          },
          ScanIndexForward: false,
          Limit: opts.limit,
          ConsistentRead: true,
        }),
      );
      const last = r.LastEvaluatedKey?.seq?.N;
      return {
        items: (r.Items ?? []).map((i) => docOf<HistoryEntry>(i)),
        next_cursor: last ? encodeCursor(Number(last)) : null,
      };
    });
  }

  /** The entity's put (or delete), conditioned on the version it was read at. */
  private entityWrite(m: Mutation): TransactWriteItem {
    const condition: Pick<Put, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      m.expectedVersion === null
        ? { ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': 'key' } }
        : {
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': { N: String(m.expectedVersion) } },
          };
    const TableName = this.t.entity[m.kind];
    if (m.doc === null) return { Delete: { TableName, Key: { key: { S: m.key } }, ...condition } };
    return {
      Put: {
        TableName,
        Item: { key: { S: m.key }, version: { N: String(m.doc.version) }, doc: { S: JSON.stringify(m.doc) } },
        ...condition,
      },
    };
  }

  audit(opts: PageOptions & { target?: string }): Promise<Page<AuditEntry>> {
    return this.call(async () => {
      const before = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, isNumber);
      const r = await this.client.send(
        new QueryCommand({
          TableName: this.t.audit,
          KeyConditionExpression: before === undefined ? '#l = :l' : '#l = :l AND #s < :s',
          ExpressionAttributeNames: {
            '#l': 'log',
            ...(before === undefined ? {} : { '#s': 'seq' }),
            ...(opts.target === undefined ? {} : { '#t': 'target' }),
          },
          ExpressionAttributeValues: {
            ':l': { S: AUDIT_LOG },
            ...(before === undefined ? {} : { ':s': { N: String(before) } }),
            ...(opts.target === undefined ? {} : { ':t': { S: opts.target } }),
          },
          ...(opts.target === undefined ? {} : { FilterExpression: '#t = :t' }),
          ScanIndexForward: false,
          Limit: opts.limit,
          ConsistentRead: true,
        }),
      );
      const last = r.LastEvaluatedKey?.seq?.N;
      return {
        items: (r.Items ?? []).map((i) => docOf<AuditEntry>(i)),
        next_cursor: last ? encodeCursor(Number(last)) : null,
      };
    });
  }

  ping(): Promise<void> {
    return this.call(async () => {
      await this.readWatermark();
    });
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}
