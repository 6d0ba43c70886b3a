/**
 * Evidence Event serialisation (design section 6.1, src/models/evidence.ts): fields in the
 * documented order, then the extensions. Per-dataset and per-topic fragments are
 * pre-serialised once; per record only the varying parts are stringified.
 */

import { hash } from 'node:crypto';

/** Short stable tag per topic name (sha256 prefix), computed once per topic; bounded. */
const topicTags = new Map<string, string>();
function topicTag(topic: string): string {
  let t = topicTags.get(topic);
  if (t === undefined) {
    t = hash('sha256', topic).slice(0, 12);
    if (topicTags.size >= 10_000) topicTags.clear();
    topicTags.set(topic, t);
  }
  return t;
}

/**
 * Deterministic per (raw topic, partition, offset, policy version): a replay produces the same
 * id. Built from the coordinates rather than hashed from them: unique by construction (only
 * the topic is shortened to a tag) and a fifth of the cost of a hash per record.
 * `policyVersion` 'err' marks evidence made for a record no worker could evaluate.
 */
export function evidenceId(topic: string, partition: number, offset: number, policyVersion: number | 'err'): string {
  return `evd-${topicTag(topic)}-${partition}-${offset}-${policyVersion}`;
}

export function payloadHash(value: Uint8Array | null): string | null {
  return value === null ? null : `sha256:${hash('sha256', value)}`;
}

/** Validates and decodes in one pass; ignoreBOM keeps a BOM in the text, as toString('utf8') did. */
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 key, or `base64:` + base64 when the bytes are not UTF-8. */
export function keyText(key: Uint8Array | null): string | null {
  if (key === null) return null;
  try {
    return UTF8_FATAL.decode(key);
  } catch {
    return `base64:${Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64')}`;
  }
}

/** Pre-serialised fragments of one dataset (or of "unresolved"). */
export interface DatasetFragments {
  /** `"dataset_urn":...` */
  dataset: string;
  /** `"contract":{...}` */
  contract: string;
  /** `"policy_version":N` */
  policyVersion: string;
  /** The enforcement mode, JSON-quoted. */
  mode: string;
}

export function datasetFragments(
  urn: string | null,
  contractId: string | null,
  version: number | null,
  mode: string,
): DatasetFragments {
  return {
    dataset: `"dataset_urn":${JSON.stringify(urn)}`,
    contract: `"contract":{"contract_id":${JSON.stringify(contractId)}}`,
    policyVersion: `"policy_version":${version === null ? 'null' : version}`,
    mode: JSON.stringify(mode),
  };
}

/**
 * JSON-quoted strings that repeat across records (topics, producer ids, schema ids): quoted
 * once, then one Map lookup. Bounded so that varying values cannot grow it.
 */
const quoteCache = new Map<string, string>();
function quoted(v: string): string {
  let q = quoteCache.get(v);
  if (q === undefined) {
    q = JSON.stringify(v);
    if (quoteCache.size > 10_000) quoteCache.clear();
    quoteCache.set(v, q);
  }
  return q;
}

/** `[{"path":...,"class":"EMAIL"},...]`: what JSON.stringify gives, without its generic walk. */
function findingsJson(f: { path: string; class: string }[]): string {
  let out = '[';
  for (let i = 0; i < f.length; i++) {
    out += `${i === 0 ? '' : ','}{"path":${JSON.stringify(f[i].path)},"class":${quoted(f[i].class)}}`;
  }
  return `${out}]`;
}

let lastTs = Number.NaN;
let lastIso = '';
/** Records of a batch often share a millisecond: reuse the last conversion. */
export function isoTime(ms: number): string {
  if (ms !== lastTs) {
    lastTs = ms;
    lastIso = Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(0).toISOString();
  }
  return lastIso;
}

export interface EvidenceParts {
  id: string;
  /** JSON-quoted ISO timestamp of the batch. */
  nowJson: string;
  frags: DatasetFragments;
  producerId: string | null;
  confidence: string;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  eventTime: string;
  schemaId: string | null;
  pass: boolean;
  failedGates: string[];
  reasonCodes: string[];
  otel: [string, string] | null;
  payloadHash: string | null;
  schemaFingerprint: string | null;
  piiFindings: { path: string; class: string }[] | null;
  action: string;
}

const EMPTY = '[]';

export function serialiseEvidence(p: EvidenceParts): string {
  return (
    `{"evidence_id":"${p.id}","timestamp":${p.nowJson},"stage":"OBSERVED_RAW",${p.frags.dataset},` +
    `"producer":{"producer_id":${p.producerId === null ? 'null' : quoted(p.producerId)},"identity_confidence":"${p.confidence}"},` +
    `"source":{"raw_topic":${quoted(p.topic)},"partition":${p.partition},"offset":${p.offset},"key":${p.key === null ? 'null' : JSON.stringify(p.key)},"event_time":"${p.eventTime}"},` +
    `"schema":{"schema_id":${p.schemaId === null ? 'null' : quoted(p.schemaId)}},${p.frags.contract},` +
    `"validation":{"result":"${p.pass ? 'PASS' : 'FAIL'}","failed_gates":${p.failedGates.length ? JSON.stringify(p.failedGates) : EMPTY},"reason_codes":${p.reasonCodes.length ? JSON.stringify(p.reasonCodes) : EMPTY}},` +
    `"otel":${p.otel === null ? '{"trace_id":null,"span_id":null}' : `{"trace_id":${JSON.stringify(p.otel[0])},"span_id":${JSON.stringify(p.otel[1])}}`},` +
    `"fingerprints":{"payload_hash":${p.payloadHash === null ? 'null' : `"${p.payloadHash}"`},"schema_fingerprint":${p.schemaFingerprint === null ? 'null' : `"${p.schemaFingerprint}"`}},` +
    `${p.frags.policyVersion},"pii_findings":${p.piiFindings === null ? EMPTY : findingsJson(p.piiFindings)},` +
    `"enforcement":{"mode":${p.frags.mode},"action":"${p.action}"}}`
  );
}
