/**
 * Packing shared by both sides of the worker boundary, so there is one implementation of the
 * RecordBatch layout (protocol.ts): the main thread packs records into one transferable
 * ArrayBuffer; the worker reads them back as views (no copies); evidence returns the same way.
 */
import { Buffer } from 'node:buffer';
import type { RawRecord } from './gates/types.js';
import {
  ACTION_NONE,
  ACTIONS,
  type Action,
  type BatchResult,
  META_FIELDS,
  type PackedVerdicts,
  type PolicySnapshot,
  type RecordBatch,
  type RecordVerdict,
} from './protocol.js';

type Bytes = Uint8Array | string | null | undefined;

/** A consumed record, as the main thread hands it over (Kafka clients give Buffers). */
export interface PackInput {
  topic: string;
  partition: number;
  offset: number;
  /** ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** `[name, value]` pairs, `{name: value}` objects (one per header, node-rdkafka style) or one object. */
  headers?: Array<[string, Bytes]> | Array<Record<string, Bytes>> | Record<string, Bytes> | null;
  /** W3C trace context to embed in evidence: [trace_id, span_id]. */
  otel?: [string, string] | null;
}

/** Encodes a snapshot once per version; workers decode it only when the version changes. */
export function encodeSnapshot(snapshot: PolicySnapshot): SharedArrayBuffer {
  const bytes = Buffer.from(JSON.stringify(snapshot), 'utf8');
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

export function decodeSnapshot(sab: SharedArrayBuffer): PolicySnapshot {
  // Buffer, not TextDecoder: TextDecoder rejects views of shared memory.
  return JSON.parse(Buffer.from(sab).toString('utf8')) as PolicySnapshot;
}

const NO_PAIRS: Array<[string, Bytes]> = [];

function headerPairs(h: PackInput['headers']): Array<[string, Bytes]> {
  if (h === null || h === undefined || (Array.isArray(h) && h.length === 0)) return NO_PAIRS;
  if (!Array.isArray(h)) return Object.entries(h);
  // Already pairs (src/main/records.ts): no copy.
  if (Array.isArray(h[0])) return h as Array<[string, Bytes]>;
  const out: Array<[string, Bytes]> = [];
  for (const e of h as Array<[string, Bytes] | Record<string, Bytes>>) {
    if (Array.isArray(e)) out.push(e);
    else for (const k of Object.keys(e)) out.push([k, e[k]]);
  }
  return out;
}

const size = (b: Bytes) =>
  b === null || b === undefined ? 0 : typeof b === 'string' ? Buffer.byteLength(b) : b.length;

function put(buf: Buffer, at: number, b: Bytes): number {
  if (b === null || b === undefined) return 0;
  if (typeof b === 'string') return buf.write(b, at, 'utf8');
  buf.set(b, at);
  return b.length;
}

/**
 * Builds a RecordBatch; pass batchTransferList(batch) as the transfer list. `snapshot` is the
 * shared snapshot (encodeSnapshot) of version `snapshotVersion`; `now` is the evidence
 * timestamp for the whole batch (default Date.now()).
 */
export function packBatch(
  records: readonly PackInput[],
  snapshotVersion: number,
  snapshot: SharedArrayBuffer,
  now?: number,
  fullVerdicts = false,
): RecordBatch {
  const headers = records.map((r) => headerPairs(r.headers));
  let total = 0;
  let headerCount = 0;
  for (let i = 0; i < records.length; i++) {
    total += size(records[i].key) + size(records[i].value);
    for (const [, v] of headers[i]) total += size(v);
    headerCount += headers[i].length;
  }
  // Not zero-filled: every byte is written below (total is exact).
  const buf = Buffer.allocUnsafeSlow(total);
  const data = buf.buffer as ArrayBuffer;
  const meta = new Float64Array(records.length * META_FIELDS);
  const headerSpans = new Int32Array(headerCount * 2);
  const headerNames = new Uint16Array(headerCount);
  const headerNameList: string[] = [];
  const headerNameIndex = new Map<string, number>();
  const topics: string[] = [];
  const topicIndex = new Map<string, number>();
  let otel: RecordBatch['otel'] = null;
  let at = 0;
  let h = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    let t = topicIndex.get(r.topic);
    if (t === undefined) {
      t = topics.push(r.topic) - 1;
      topicIndex.set(r.topic, t);
    }
    const m = i * META_FIELDS;
    meta[m] = t;
    meta[m + 1] = r.partition;
    meta[m + 2] = r.offset;
    meta[m + 3] = r.timestamp;
    meta[m + 4] = at;
    meta[m + 5] = r.key === null || r.key === undefined ? -1 : put(buf, at, r.key);
    at += Math.max(0, meta[m + 5]);
    meta[m + 6] = at;
    meta[m + 7] = r.value === null || r.value === undefined ? -1 : put(buf, at, r.value);
    at += Math.max(0, meta[m + 7]);
    meta[m + 8] = h;
    meta[m + 9] = headers[i].length;
    for (const [name, v] of headers[i]) {
      let n = headerNameIndex.get(name);
      if (n === undefined) {
        n = headerNameList.push(name) - 1;
        if (n > 0xffff) throw new RangeError('more than 65,536 distinct header names in one batch');
        headerNameIndex.set(name, n);
      }
      headerNames[h] = n;
      headerSpans[h * 2] = at;
      headerSpans[h * 2 + 1] = put(buf, at, v);
      at += headerSpans[h * 2 + 1];
      h++;
    }
    if (r.otel) {
      otel ??= new Array(records.length).fill(null);
      otel[i] = r.otel;
    }
  }
  return {
    snapshotVersion,
    snapshot,
    data,
    meta,
    topics,
    headerNames,
    headerNameList,
    headerSpans,
    otel,
    fullVerdicts,
    now: now ?? Date.now(),
  };
}

/** The transfer list for a packed batch (the snapshot is shared, never transferred). */
export function batchTransferList(b: RecordBatch): ArrayBuffer[] {
  return [
    b.data,
    b.meta.buffer as ArrayBuffer,
    b.headerSpans.buffer as ArrayBuffer,
    b.headerNames.buffer as ArrayBuffer,
  ];
}

/** The transfer list for a worker's result (evidence bytes and packed verdicts move, never copied). */
export function resultTransferList(r: BatchResult): ArrayBuffer[] {
  return [
    r.evidence,
    r.evidenceSpans.buffer as ArrayBuffer,
    r.verdicts.action.buffer as ArrayBuffer,
    r.verdicts.dataset.buffer as ArrayBuffer,
  ];
}

/** Packs a batch's verdicts as they are made (PackedVerdicts). */
export class VerdictPacker {
  private readonly action: Uint8Array;
  private readonly dataset: Int32Array;
  private readonly datasets: Array<string | null> = [];
  private readonly index = new Map<string | null, number>();
  private readonly details: Record<number, RecordVerdict> = {};
  constructor(
    count: number,
    private readonly full: boolean,
  ) {
    this.action = new Uint8Array(count);
    this.dataset = new Int32Array(count);
  }
  add(i: number, v: RecordVerdict): void {
    let d = this.index.get(v.dataset_urn);
    if (d === undefined) {
      d = this.datasets.push(v.dataset_urn) - 1;
      this.index.set(v.dataset_urn, d);
    }
    this.dataset[i] = d;
    const a = v.action === 'NONE' ? ACTION_NONE : ACTIONS.indexOf(v.action);
    this.action[i] = a;
    if (this.full || a !== ACTION_NONE) this.details[i] = v;
  }
  finish(): PackedVerdicts {
    return { action: this.action, dataset: this.dataset, datasets: this.datasets, details: this.details };
  }
}

export const verdictCount = (v: PackedVerdicts): number => v.action.length;
export const verdictAction = (v: PackedVerdicts, i: number): Action => ACTIONS[v.action[i]];
export const verdictDataset = (v: PackedVerdicts, i: number): string | null => v.datasets[v.dataset[i]];

/** Record i's whole verdict: present for records with an action, and for all when the batch asked. */
export function verdictDetail(v: PackedVerdicts, i: number): RecordVerdict {
  const d = v.details[i];
  if (d === undefined) throw new Error(`no verdict detail for record ${i} (the batch did not ask for it)`);
  return d;
}

export function recordCount(b: RecordBatch): number {
  return b.meta.length / META_FIELDS;
}

/** Record i as views into the batch's buffer. */
export function unpackRecord(b: RecordBatch, i: number): RawRecord {
  const m = i * META_FIELDS;
  const meta = b.meta;
  const keyLen = meta[m + 5];
  const valueLen = meta[m + 7];
  const h0 = meta[m + 8];
  const hn = meta[m + 9];
  const headerNames: string[] = [];
  const headerValues: Uint8Array[] = [];
  for (let k = h0; k < h0 + hn; k++) {
    headerNames.push(b.headerNameList[b.headerNames[k]]);
    headerValues.push(new Uint8Array(b.data, b.headerSpans[k * 2], b.headerSpans[k * 2 + 1]));
  }
  return {
    topic: b.topics[meta[m]],
    partition: meta[m + 1],
    offset: meta[m + 2],
    timestamp: meta[m + 3],
    key: keyLen < 0 ? null : new Uint8Array(b.data, meta[m + 4], keyLen),
    value: valueLen < 0 ? null : new Uint8Array(b.data, meta[m + 6], valueLen),
    headerNames,
    headerValues,
    otel: b.otel === null ? null : (b.otel[i] ?? null),
  };
}

/**
 * Writes evidence documents into one growing buffer as they are made, so a batch never holds
 * all its evidence strings at once (they die young instead of being copied by the scavenger).
 * The buffer is transferred whole; the spans say which bytes are evidence.
 */
export class EvidenceWriter {
  private buf: Buffer;
  private at = 0;
  private readonly spans: Int32Array;
  private i = 0;
  constructor(count: number, bytesPerDoc = 1536) {
    this.spans = new Int32Array(count * 2);
    // allocUnsafeSlow: its own ArrayBuffer (transferable), not zero-filled (a batch's worth of
    // memset per task); only the spans' bytes are ever read.
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, count * bytesPerDoc));
  }
  add(doc: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: grow only when that worst case may not fit.
    if (this.buf.length - this.at < doc.length * 3) {
      const need = this.at + Buffer.byteLength(doc);
      if (need > this.buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
        bigger.set(this.buf.subarray(0, this.at));
        this.buf = bigger;
      }
    }
    const n = this.buf.write(doc, this.at, 'utf8');
    this.spans[this.i * 2] = this.at;
    this.spans[this.i * 2 + 1] = n;
    this.at += n;
    this.i++;
  }
  finish(): Pick<BatchResult, 'evidence' | 'evidenceSpans'> {
    return { evidence: this.buf.buffer as ArrayBuffer, evidenceSpans: this.spans };
  }
}

/** Evidence documents into one ArrayBuffer plus [start, length] spans. */
export function packEvidence(docs: readonly string[]): Pick<BatchResult, 'evidence' | 'evidenceSpans'> {
  const w = new EvidenceWriter(docs.length);
  for (const d of docs) w.add(d);
  return w.finish();
}

/** Evidence i of a result as bytes (a view, ready to produce). */
export function evidenceBytes(r: Pick<BatchResult, 'evidence' | 'evidenceSpans'>, i: number): Buffer {
  return Buffer.from(r.evidence, r.evidenceSpans[i * 2], r.evidenceSpans[i * 2 + 1]);
}
