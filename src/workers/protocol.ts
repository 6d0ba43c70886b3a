/**
 * The contract between the enforcer's main thread (src/main) and the gate workers
 * (src/workers). Crossing threads is the cost to amortise, so work travels in batches:
 * record bytes are packed into one ArrayBuffer that is transferred (not copied), and
 * the policy snapshot travels as a SharedArrayBuffer that workers decode only when its
 * version changes.
 */
import type {
  DataContract,
  DatasetOpsToggles,
  DatasetPolicy,
  GlobalOpsToggles,
  ResolutionRule,
} from '../models/index.js';
import type { CompatibilityMode } from '../models/policy.js';

/** A writer schema as fetched from a registry (Glue or Confluent-compatible). Immutable per version id. */
export interface RegistrySchema {
  /** `glue:<schema name>:<version number>`, `csr:<subject>:<version>`, or `csr:id:<n>` when only the id is known. */
  schema_id: string;
  /**
   * The id a framed record carries: the Glue schema version UUID (Glue SerDe wire format) or
   * `csr:id:<global id>` (Confluent framing).
   */
  version_id: string;
  schema_name: string;
  version_number: number;
  data_format: 'JSON' | 'AVRO' | 'PROTOBUF';
  definition: string;
  /** Referenced schemas' texts by the name the definition uses for them (Confluent references), dependencies first. */
  references?: { name: string; definition: string }[];
  /** The registry's compatibility setting for the schema. */
  compatibility: CompatibilityMode;
}

/** Everything the gates need, as one immutable value per version. */
export interface PolicySnapshot {
  /** Increments whenever anything below changes. */
  version: number;
  policies: DatasetPolicy[];
  /** All datasets' resolution rules, flattened. */
  resolution: ResolutionRule[];
  contracts: DataContract[];
  /**
   * Writer schemas known to the enforcer: every schema a policy references (by schema_id),
   * every schema version id seen in Glue wire-format records, and the earlier versions the
   * compatibility gate compares against.
   */
  schemas: RegistrySchema[];
  /** Schema ids / version ids that could not be fetched and have no cached copy. */
  unavailable_schemas: string[];
  ops: { global: GlobalOpsToggles; datasets: Record<string, DatasetOpsToggles> };
  /**
   * Producer identity: HMAC-SHA256 secrets that sign trusted principal headers, by key id.
   * A value of 32+ hex digits (even length) is read as hex bytes, anything else as UTF-8.
   */
  identity_keys: Record<string, string>;
  /** ENVELOPE limits; defaults: 1 MiB payload (also after decompression), nesting depth 64. */
  limits?: { max_payload_bytes?: number; max_depth?: number };
}

/** One batch of raw records packed for transfer. */
export interface RecordBatch {
  snapshotVersion: number;
  /** SharedArrayBuffer holding the snapshot as UTF-8 JSON (shared, not copied). */
  snapshot: SharedArrayBuffer;
  /** Concatenated bytes: for record i, key then value then header values. */
  data: ArrayBuffer;
  /**
   * Per record, in order: topic index, partition, offset, timestamp(ms),
   * key start, key length (-1 = null), value start, value length (-1 = null/tombstone),
   * header start index, header count. Offsets are JS numbers (exact below 2^53).
   */
  meta: Float64Array;
  /** Distinct topic names referenced by meta's topic index. */
  topics: string[];
  /** Per header: its value's [start, length] in `data` (flattened pairs). */
  headerSpans: Int32Array;
  /** Per header: index into `headerNameList` (names repeat from record to record: one string each per batch). */
  headerNames: Uint16Array;
  headerNameList: string[];
  /** Per record: W3C trace context to embed in evidence (trace_id, span_id) or null; null when no record has one. */
  otel: Array<[string, string] | null> | null;
  /** Return every record's whole verdict (tracing needs them); else only those with an action. */
  fullVerdicts: boolean;
  /** Wall-clock time (ms) used for every evidence timestamp of this batch. */
  now: number;
  /** Where the worker publishes the record it is on (progress.ts), for the per-record budget. */
  progress?: SharedArrayBuffer;
}

export const META_FIELDS = 10;

/** What a worker returns per batch. */
export interface BatchResult {
  /** Concatenated UTF-8 evidence JSON documents. */
  evidence: ArrayBuffer;
  /** Per record: start and length of its evidence in `evidence`. */
  evidenceSpans: Int32Array;
  /** Per record: what the main thread acts on, packed (no object per record crosses threads). */
  verdicts: PackedVerdicts;
  /** Aggregated per batch for metrics (merged on the main thread). */
  stats: BatchStats;
}

/** RecordVerdict.action as a byte in PackedVerdicts.action. */
export const ACTIONS = ['NONE', 'QUARANTINE', 'REPUBLISH'] as const;
export type Action = (typeof ACTIONS)[number];
export const ACTION_NONE = 0;

/**
 * Verdicts of a batch in transferred typed arrays: a structured clone of one verdict object per
 * record cost ~900 ns per record across both threads (perf/README.md). Records with an action
 * need their whole verdict (evidence id, blessed topic); the rest only the action and dataset.
 */
export interface PackedVerdicts {
  /** Per record: index into ACTIONS. */
  action: Uint8Array;
  /** Per record: index into `datasets`. */
  dataset: Int32Array;
  /** The batch's distinct dataset URNs (null: unresolved). */
  datasets: Array<string | null>;
  /** Whole verdicts by record index: records with an action, or all when the batch asked (fullVerdicts). */
  details: Record<number, RecordVerdict>;
}

export interface RecordVerdict {
  dataset_urn: string | null;
  evidence_id: string;
  pass: boolean;
  /** Action the main thread must complete before the offset may be committed. */
  action: Action;
  /** Blessed topic for REPUBLISH. */
  target_topic?: string;
  failed_gates: string[];
  identity_confidence: string;
}

export interface BatchStats {
  /** key: recordsKey(topic, dataset, result) (stats-keys.ts) -> count */
  records: Record<string, number>;
  /** key: gateFailureKey(gate, reason base, dataset) (stats-keys.ts) -> count */
  gateFailures: Record<string, number>;
  /** Per dataset: the per-record evaluation latencies in milliseconds (histogram input). */
  evalMs: Record<string, number[]>;
  /** Set on the first batch after a worker compiled a new snapshot: compile-time findings to log. */
  compileWarnings?: string[];
}
