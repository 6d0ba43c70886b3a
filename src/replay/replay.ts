/**
 * Replay from quarantine (issue 18 item 3): re-read a dataset's quarantined records, judge them
 * with the CURRENT policy through the same pipeline as `validate` and the workers
 * (compileSnapshot + evaluateRecord, compiled once), and republish those that now pass with
 * headers linking their original evidence.
 *
 * Idempotence: a record is republished only when its ledger marker (keyed by the original
 * evidence id, quarantine-store.ts) is absent, and the marker is written only after the broker
 * acknowledged the record. A crash between the two republishes that record once more on the next
 * run (at-least-once; consumers dedupe on `sf-original-evidence-id`); nothing is ever skipped.
 */

import { ConfigError } from '../common/config.js';
import type { MessageHeader } from '../common/kafka.js';
import {
  parseQuarantineBody,
  type QuarantinedObject,
  quarantineDatasetPrefix,
  quarantineKeyDate,
} from '../main/actions.js';
import { reasonCodeBase } from '../models/gates.js';
import { readWireHeader } from '../workers/gates/envelope.js';
import type { RawRecord } from '../workers/gates/types.js';
import { compileSnapshot, evaluateRecord } from '../workers/pipeline.js';
import type { PolicySnapshot } from '../workers/protocol.js';
import type { Publisher } from './publisher.js';
import { ledgerKey, type QuarantineStore } from './quarantine-store.js';

export interface ReplayOptions {
  datasetUrn: string;
  since?: Date;
  until?: Date;
  /** A reason code (`MISSING_FIELD`) or a full one (`MISSING_FIELD:customer_id`) the original evidence had. */
  reason?: string;
  toTopic?: string;
  dryRun: boolean;
  replayId: string;
}

/** The enforcer's view of policies and schemas (PolicySnapshots in the CLI). */
export interface SnapshotSource {
  /** The current snapshot, once these Glue wire-format schema version ids are fetched (or marked unavailable). */
  current(wireSchemaIds: string[]): Promise<PolicySnapshot>;
}

export interface ReplayDeps {
  quarantine: QuarantineStore;
  snapshots: SnapshotSource;
  /** Absent in a dry run. */
  publisher?: Publisher;
  onLine(line: ReplayLine): void;
}

export type ReplayAction =
  | 'REPUBLISHED'
  | 'WOULD_REPUBLISH'
  | 'ALREADY_REPLAYED'
  | 'STILL_FAILS'
  | 'REPUBLISH_FAILED'
  | 'UNREADABLE';

/** One NDJSON line of the report, per quarantined record in scope. */
export interface ReplayLine {
  original_evidence_id: string | null;
  object_key: string;
  source: string | null;
  result: 'PASS' | 'FAIL' | null;
  reason_codes: string[];
  replay_evidence_id: string | null;
  action: ReplayAction;
  error?: string;
}

export interface ReplaySummary {
  replay_id: string;
  policy_version: number;
  to_topic: string;
  scanned: number;
  now_pass: number;
  republished: number;
  already_replayed: number;
  still_fail: number;
  failed: number;
}

/** Records judged and republished together: bounds memory and in-flight sends. */
const CHUNK = 64;

interface Loaded {
  key: string;
  obj: QuarantinedObject;
}

export async function replay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> {
  const first = await deps.snapshots.current([]);
  const policy = first.policies.find((p) => p.dataset_urn === opts.datasetUrn);
  if (!policy) throw new ConfigError(`dataset ${opts.datasetUrn} has no policy in the control plane`);
  const toTopic = opts.toTopic ?? policy.blessed_topic;
  if (toTopic === undefined && !opts.dryRun) {
    throw new ConfigError(`the policy of ${opts.datasetUrn} has no blessed_topic: pass --to-topic`);
  }
  // Compiled once per snapshot version (a new wire schema id makes a new version).
  let compiled = compileSnapshot(first);
  const compiledFor = async (loaded: Loaded[]) => {
    const ids = new Set<string>();
    for (const l of loaded) {
      const value = b64(l.obj.record.value_base64);
      const header = value && readWireHeader(value);
      if (header && typeof header === 'object') ids.add(header.versionId);
    }
    const s = await deps.snapshots.current([...ids]);
    if (s.version !== compiled.version) compiled = compileSnapshot(s);
    return compiled;
  };
  const summary: ReplaySummary = {
    replay_id: opts.replayId,
    policy_version: policy.version,
    to_topic: toTopic ?? '',
    scanned: 0,
    now_pass: 0,
    republished: 0,
    already_replayed: 0,
    still_fail: 0,
    failed: 0,
  };
  const sinceDay = opts.since?.toISOString().slice(0, 10);
  const untilDay = opts.until?.toISOString().slice(0, 10);
  let keys: string[] = [];
  const flush = async () => {
    const batch = keys;
    keys = [];
    const loaded = (await Promise.all(batch.map((k) => load(deps, k, summary)))).filter(
      (l): l is Loaded => l !== undefined && inScope(l.obj, opts),
    );
    if (loaded.length === 0) return;
    await judgeAndRepublish(loaded, { opts, deps, snap: await compiledFor(loaded), summary, toTopic });
  };
  for await (const key of deps.quarantine.list(quarantineDatasetPrefix(deps.quarantine.prefix, opts.datasetUrn))) {
    const day = quarantineKeyDate(key);
    // The date partition narrows the reads; the record's own timestamp decides below.
    if (day !== undefined && ((sinceDay && day < sinceDay) || (untilDay && day > untilDay))) continue;
    keys.push(key);
    if (keys.length >= CHUNK) await flush();
  }
  await flush();
  return summary;
}

async function load(deps: ReplayDeps, key: string, summary: ReplaySummary): Promise<Loaded | undefined> {
  try {
    return { key, obj: parseQuarantineBody(await deps.quarantine.read(key)) };
  } catch (err) {
    summary.scanned++;
    summary.failed++;
    deps.onLine({
      original_evidence_id: null,
      object_key: key,
      source: null,
      result: null,
      reason_codes: [],
      replay_evidence_id: null,
      action: 'UNREADABLE',
      error: (err as Error).message,
    });
    return undefined;
  }
}

function inScope(obj: QuarantinedObject, opts: ReplayOptions): boolean {
  const at = Date.parse(obj.record.timestamp);
  if (opts.since && at < opts.since.getTime()) return false;
  if (opts.until && at > opts.until.getTime()) return false;
  if (opts.reason === undefined) return true;
  const wanted = opts.reason;
  const full = wanted.includes(':');
  return (obj.evidence.validation?.reason_codes ?? []).some((c) =>
    full ? c === wanted : reasonCodeBase(c) === wanted,
  );
}

const b64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));

function rawRecord(o: QuarantinedObject): RawRecord {
  const r = o.record;
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: Date.parse(r.timestamp),
    key: b64(r.key_base64),
    value: b64(r.value_base64),
    headerNames: r.headers.map((h) => h.key),
    headerValues: r.headers.map((h) => Buffer.from(h.value_base64, 'base64')),
    otel: null,
  };
}

interface ChunkContext {
  opts: ReplayOptions;
  deps: ReplayDeps;
  snap: ReturnType<typeof compileSnapshot>;
  summary: ReplaySummary;
  toTopic: string | undefined;
}

async function judgeAndRepublish(loaded: Loaded[], c: ChunkContext): Promise<void> {
  const { opts, deps, summary } = c;
  const nowJson = `"${new Date().toISOString()}"`;
  await Promise.all(
    loaded.map(async ({ key, obj }) => {
      summary.scanned++;
      const rec = rawRecord(obj);
      const outcome = evaluateRecord(c.snap, rec, nowJson);
      const v = outcome.verdict;
      const line: ReplayLine = {
        original_evidence_id: obj.evidence.evidence_id,
        object_key: key,
        source: `${rec.topic}/${rec.partition}/${rec.offset}`,
        result: v.pass ? 'PASS' : 'FAIL',
        reason_codes: outcome.gateCodes.flat(),
        replay_evidence_id: v.evidence_id,
        action: 'STILL_FAILS',
      };
      // A record that now resolves to another dataset is not this dataset's to republish.
      if (!v.pass || v.dataset_urn !== opts.datasetUrn) {
        summary.still_fail++;
        return deps.onLine(line);
      }
      summary.now_pass++;
      try {
        const ledger = ledgerKey(deps.quarantine, obj.evidence.evidence_id);
        if (await deps.quarantine.exists(ledger)) {
          summary.already_replayed++;
          return deps.onLine({ ...line, action: 'ALREADY_REPLAYED' });
        }
        if (opts.dryRun || !deps.publisher || c.toTopic === undefined) {
          return deps.onLine({ ...line, action: 'WOULD_REPUBLISH' });
        }
        await deps.publisher.send({
          topic: c.toTopic,
          key: rec.key as Buffer | null,
          value: rec.value as Buffer | null,
          headers: replayHeaders(obj, v.evidence_id, opts.replayId),
          timestamp: rec.timestamp,
        });
        await deps.quarantine.write(
          ledger,
          JSON.stringify({
            original_evidence_id: obj.evidence.evidence_id,
            replay_evidence_id: v.evidence_id,
            replay_id: opts.replayId,
            policy_version: summary.policy_version,
            to_topic: c.toTopic,
            source: line.source,
            at: new Date().toISOString(),
          }),
        );
        summary.republished++;
        deps.onLine({ ...line, action: 'REPUBLISHED' });
      } catch (err) {
        summary.failed++;
        deps.onLine({ ...line, action: 'REPUBLISH_FAILED', error: (err as Error).message });
      }
    }),
  );
}

/** The record's own headers, then provenance: the enforcer's republish headers plus the replay's. */
function replayHeaders(obj: QuarantinedObject, replayEvidenceId: string, replayId: string): MessageHeader[] {
  const r = obj.record;
  return [
    ...r.headers.map((h) => ({ [h.key]: Buffer.from(h.value_base64, 'base64') })),
    { 'sf-evidence-id': replayEvidenceId },
    { 'sf-source': `${r.topic}/${r.partition}/${r.offset}` },
    { 'sf-original-evidence-id': obj.evidence.evidence_id },
    { 'sf-replay-id': replayId },
  ];
}
