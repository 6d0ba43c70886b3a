/**
 * The gate pipeline: compile a PolicySnapshot once (per version), then evaluate records
 * through the gates in the design's order (section 4), collecting every failure a later gate
 * can still judge: a decode failure stops SCHEMA, CONTRACT and PII; a schema failure does not
 * stop CONTRACT or PII; COMPATIBILITY needs only the writer schema. Ops toggles: disabled_gates
 * skip a gate for a dataset; mode_override, actions_paused and global safe_mode change the action.
 */

import { type GateName, reasonCodeBase } from '../models/gates.js';
import type { DatasetPolicy } from '../models/policy.js';
import {
  type DatasetFragments,
  datasetFragments,
  evidenceId,
  isoTime,
  keyText,
  payloadHex,
  serialiseEvidence,
} from './evidence.js';
import * as compatibility from './gates/compatibility.js';
import * as contract from './gates/contract.js';
import * as envelope from './gates/envelope.js';
import * as identity from './gates/identity.js';
import * as pii from './gates/pii.js';
import * as resolution from './gates/resolution.js';
import * as schema from './gates/schema.js';
import type { RawRecord } from './gates/types.js';
import type { PolicySnapshot, RecordVerdict } from './protocol.js';
import { type CompiledSchema, compileSchemas } from './schemas.js';

/** Codes the pipeline itself emits (under the RESOLUTION gate). */
export const PIPELINE_REASON_CODES = {
  POLICY_NOT_FOUND: 'The record resolved to a dataset that has no policy in the snapshot.',
} as const;

interface CompiledDataset {
  policy: DatasetPolicy;
  /** Per gate after RESOLUTION: false when the dataset's ops toggles disable it (a field read per record, not a Set lookup). */
  runs: GateSwitches;
  /** Action on PASS / FAIL before pausing, and whether actions are paused. */
  onPass: RecordVerdict['action'];
  onFail: RecordVerdict['action'];
  paused: boolean;
  blessedTopic: string | undefined;
  identity: identity.CompiledIdentity;
  /** The dataset's registered schema (policy.schema_id), when known. */
  registered: CompiledSchema | undefined;
  registeredCode: string | null;
  contract: contract.CompiledContract | undefined;
  pii: pii.CompiledPii;
  frags: DatasetFragments;
}

type GateSwitches = Record<Exclude<GateName, 'RESOLUTION'>, boolean>;

/** RESOLUTION always runs: it decides which dataset's toggles apply. */
function gateSwitches(disabled: Set<GateName>): GateSwitches {
  return {
    IDENTITY: !disabled.has('IDENTITY'),
    ENVELOPE: !disabled.has('ENVELOPE'),
    SCHEMA: !disabled.has('SCHEMA'),
    COMPATIBILITY: !disabled.has('COMPATIBILITY'),
    CONTRACT: !disabled.has('CONTRACT'),
    PII: !disabled.has('PII'),
  };
}

export interface CompiledSnapshot {
  version: number;
  limits: envelope.EnvelopeLimits;
  schemas: Map<string, CompiledSchema>;
  compat: compatibility.CompatContext;
  unavailable: Set<string>;
  resolution: resolution.CompiledResolution;
  datasets: Map<string, CompiledDataset>;
  /** Compile-time findings (unknown formats, unresolved refs) for logs; never per record. */
  warnings: string[];
  unresolvedFrags: DatasetFragments;
}

export function compileSnapshot(s: PolicySnapshot): CompiledSnapshot {
  const schemas = compileSchemas(s.schemas);
  const warnings: string[] = [];
  for (const c of new Set(schemas.values())) for (const w of c.warnings) warnings.push(`${c.meta.schema_id}: ${w}`);
  const unavailable = new Set(s.unavailable_schemas);
  const contracts = new Map(s.contracts.map((c) => [c.contract_id, contract.compile(c)]));
  for (const c of contracts.values()) for (const w of c.warnings) warnings.push(`${c.contractId}: ${w}`);
  const keys = identity.compileKeys(s.identity_keys);
  const safeMode = s.ops.global.safe_mode === true;
  const datasets = new Map<string, CompiledDataset>();
  for (const p of s.policies) {
    const ops = s.ops.datasets[p.dataset_urn];
    const mode = ops?.mode_override ?? p.enforcement_mode;
    const registered = p.schema_id !== undefined ? schemas.get(p.schema_id) : undefined;
    const compiledContract = p.contract_id !== undefined ? contracts.get(p.contract_id) : undefined;
    datasets.set(p.dataset_urn, {
      policy: p,
      runs: gateSwitches(new Set(ops?.disabled_gates ?? [])),
      onPass: mode === 'REPUBLISH_PASS_ONLY' && p.blessed_topic ? 'REPUBLISH' : 'NONE',
      onFail: mode === 'QUARANTINE_ON_FAIL' ? 'QUARANTINE' : 'NONE',
      paused: safeMode || ops?.actions_paused === true,
      blessedTopic: p.blessed_topic,
      identity: identity.compile(p.producer_identity, keys),
      registered,
      registeredCode:
        p.schema_id === undefined || registered !== undefined
          ? null
          : unavailable.has(p.schema_id)
            ? 'SCHEMA_REGISTRY_UNAVAILABLE'
            : 'SCHEMA_NOT_FOUND',
      contract: compiledContract,
      pii: pii.compile(p.pii_policy, compiledContract?.pii),
      frags: datasetFragments(p.dataset_urn, p.contract_id ?? null, p.version, mode),
    });
  }
  const lim = s.limits;
  return {
    version: s.version,
    limits: {
      maxPayloadBytes: lim?.max_payload_bytes ?? envelope.DEFAULT_LIMITS.maxPayloadBytes,
      maxDepth: lim?.max_depth ?? envelope.DEFAULT_LIMITS.maxDepth,
    },
    schemas,
    compat: compatibility.buildContext(schemas),
    unavailable,
    resolution: resolution.compile(s.resolution),
    datasets,
    warnings,
    unresolvedFrags: datasetFragments(null, null, null, 'ALERT_ONLY'),
  };
}

/** One record's outcome: the evidence JSON, the verdict for the main thread, failures for stats. */
export interface RecordOutcome {
  evidence: string;
  verdict: RecordVerdict;
  /** Parallel to verdict.failed_gates: each gate's reason codes. */
  gateCodes: string[][];
}

const NO_KEYS: string[] = [];
const NO_CODES: string[] = [];

/** Per-record decode state; resolution may ask for the payload before the writer schema is final. */
class RecordState implements resolution.ResolutionInput {
  schemaKeys: string[] = NO_KEYS;
  header: envelope.WireHeader | string | null = null;
  decoded: envelope.Decoded | null = null;
  decodedWith: CompiledSchema | undefined = undefined;
  constructor(
    readonly rec: RawRecord,
    readonly limits: envelope.EnvelopeLimits,
    readonly wireWriter: CompiledSchema | undefined,
  ) {}
  /** Decodes with `writer`, reusing an earlier decode when the data format is the same. */
  decode(writer: CompiledSchema | undefined): envelope.Decoded {
    const fmt = writer?.meta.data_format ?? 'JSON';
    if (this.decoded === null || (this.decodedWith?.meta.data_format ?? 'JSON') !== fmt) {
      this.decoded = envelope.decode(this.rec.value, this.header, writer, this.limits);
      this.decodedWith = writer;
    }
    return this.decoded;
  }
  payload(): unknown {
    const d = this.decode(this.wireWriter);
    return d.ok ? d.value : undefined;
  }
}

/** Module-level (not a per-record closure): records one gate's failure. */
function add(failedGates: string[], gateCodes: string[][], gate: GateName, codes: string[] | null): void {
  if (codes?.length) {
    failedGates.push(gate);
    gateCodes.push(codes);
  }
}

const GATE_ACTION = { NONE: 'NONE', QUARANTINE: 'QUARANTINED', REPUBLISH: 'REPUBLISHED' } as const;

/** Evaluates one record; `nowJson` is the batch's JSON-quoted evidence timestamp. */
export function evaluateRecord(snap: CompiledSnapshot, rec: RawRecord, nowJson: string): RecordOutcome {
  const header = rec.value !== null ? envelope.readWireHeader(rec.value) : null;
  const wire = header !== null && typeof header === 'object' ? header : null;
  const wireWriter = wire !== null ? snap.schemas.get(wire.versionId) : undefined;
  const st = new RecordState(rec, snap.limits, wireWriter);
  st.header = header;
  if (wire !== null) st.schemaKeys = wireWriter ? [wire.versionId, wireWriter.meta.schema_id] : [wire.versionId];

  const failedGates: string[] = [];
  const gateCodes: string[][] = [];

  const res = resolution.evaluate(snap.resolution, rec, st);
  const ds = res.dataset !== null ? snap.datasets.get(res.dataset) : undefined;
  if (ds === undefined) {
    add(failedGates, gateCodes, 'RESOLUTION', [res.code ?? 'POLICY_NOT_FOUND']);
    return finish({
      snap,
      rec,
      nowJson,
      ds: undefined,
      urn: res.dataset,
      who: null,
      decided: 'NONE',
      writer: wireWriter,
      failedGates,
      gateCodes,
      findings: null,
    });
  }

  // The writer schema: the Glue header's version, else the dataset's registered schema.
  const writer = wire !== null ? wireWriter : ds.registered;
  const writerCode =
    wire !== null
      ? wireWriter === undefined
        ? snap.unavailable.has(wire.versionId)
          ? 'SCHEMA_REGISTRY_UNAVAILABLE'
          : 'SCHEMA_NOT_FOUND'
        : null
      : ds.registeredCode;
  const decoded = st.decode(writer);

  let who: identity.Identity | null = null;
  if (ds.runs.IDENTITY) {
    who = identity.evaluate(ds.identity, rec, decoded.ok ? decoded.value : undefined);
    add(failedGates, gateCodes, 'IDENTITY', who.codes);
  }
  if (ds.runs.ENVELOPE && !decoded.ok) add(failedGates, gateCodes, 'ENVELOPE', [decoded.code!]);
  if (ds.runs.SCHEMA) {
    if (writerCode !== null) add(failedGates, gateCodes, 'SCHEMA', [writerCode]);
    else if (writer !== undefined && decoded.ok)
      add(failedGates, gateCodes, 'SCHEMA', schema.evaluate(writer, decoded.value, decoded.binary));
  }
  if (ds.runs.COMPATIBILITY && wire !== null && writer !== undefined && ds.policy.schema_id !== undefined) {
    add(
      failedGates,
      gateCodes,
      'COMPATIBILITY',
      compatibility.evaluate(snap.compat, writer, ds.registered, ds.policy.compatibility_mode),
    );
  }
  if (ds.runs.CONTRACT && ds.policy.contract_id !== undefined) {
    if (ds.contract === undefined) add(failedGates, gateCodes, 'CONTRACT', ['CONTRACT_NOT_FOUND']);
    else if (decoded.ok) add(failedGates, gateCodes, 'CONTRACT', contract.evaluate(ds.contract, decoded.value));
  }
  let findings: pii.PiiFinding[] | null = null;
  if (ds.runs.PII && decoded.ok) {
    const r = pii.evaluate(ds.pii, decoded.value, !decoded.binary);
    findings = r.findings;
    add(failedGates, gateCodes, 'PII', r.codes);
  }
  const pass = failedGates.length === 0;
  const decided = pass ? ds.onPass : ds.onFail;
  return finish({
    snap,
    rec,
    nowJson,
    ds,
    urn: res.dataset,
    who,
    decided,
    writer,
    failedGates,
    gateCodes,
    findings,
  });
}

/** Everything the gates decided about one record: what its evidence and verdict are made of. */
interface Judged {
  snap: CompiledSnapshot;
  rec: RawRecord;
  /** The batch's JSON-quoted evidence timestamp. */
  nowJson: string;
  /** The record's dataset, when it resolved to one with a policy. */
  ds: CompiledDataset | undefined;
  urn: string | null;
  who: identity.Identity | null;
  /** The action before ops toggles pause it. */
  decided: RecordVerdict['action'];
  writer: CompiledSchema | undefined;
  failedGates: string[];
  /** Parallel to failedGates. */
  gateCodes: string[][];
  findings: pii.PiiFinding[] | null;
}

function finish(j: Judged): RecordOutcome {
  const { snap, rec, ds, urn, who, decided, writer, failedGates, gateCodes } = j;
  const pass = failedGates.length === 0;
  const paused = ds?.paused === true && decided !== 'NONE';
  const action = paused ? 'NONE' : decided;
  const id = evidenceId(rec.topic, rec.partition, rec.offset, ds?.policy.version ?? 0);
  const reasonCodes = gateCodes.length === 0 ? NO_CODES : gateCodes.length === 1 ? gateCodes[0] : gateCodes.flat();
  const confidence = who?.confidence ?? 'NONE';
  const evidence = serialiseEvidence({
    id,
    nowJson: j.nowJson,
    frags: ds?.frags ?? (urn === null ? snap.unresolvedFrags : datasetFragments(urn, null, null, 'ALERT_ONLY')),
    producerId: who?.producerId ?? null,
    confidence,
    topic: rec.topic,
    partition: rec.partition,
    offset: rec.offset,
    key: keyText(rec.key),
    eventTime: isoTime(rec.timestamp),
    schemaId: writer?.meta.schema_id ?? ds?.policy.schema_id ?? null,
    pass,
    failedGates,
    gateCodes,
    reasonCodes,
    otel: rec.otel,
    payloadHex: rec.value === null ? null : payloadHex(rec.value),
    schemaFingerprint: writer?.fingerprint ?? null,
    piiFindings: j.findings,
    action: paused ? 'PAUSED' : GATE_ACTION[decided],
  });
  const verdict: RecordVerdict = {
    dataset_urn: urn,
    evidence_id: id,
    pass,
    action,
    failed_gates: failedGates,
    identity_confidence: confidence,
  };
  if (action === 'REPUBLISH') verdict.target_topic = ds!.blessedTopic;
  return { evidence, verdict, gateCodes };
}

/** Metric label for a reason code (bounded cardinality). */
export { reasonCodeBase };
