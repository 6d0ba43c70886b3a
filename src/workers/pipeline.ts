/**
 * The gate pipeline: compile a PolicySnapshot once (per version), then evaluate records
 * through the gate registry (gates/index.ts) in the design's order (section 4): RESOLUTION
 * finds the dataset, the payload is decoded once, then every gate the dataset's toggles leave
 * on judges the record (gates/spec.ts), collecting every failure a later gate
 * can still judge: a decode failure stops SCHEMA, CONTRACT and PII; a schema failure does not
 * stop CONTRACT or PII; COMPATIBILITY needs only the writer schema. Ops toggles: disabled_gates
 * skip a gate for a dataset; mode_override, actions_paused and global safe_mode change the action.
 */

import type { ShadowOf } from '../models/evidence.js';
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
import { GATE_SPECS } from './gates/index.js';
import * as pii from './gates/pii.js';
import * as resolution from './gates/resolution.js';
import type { RawRecord } from './gates/types.js';
import { RecordJudgement } from './judgement.js';
import type { PolicySnapshot, RecordVerdict } from './protocol.js';
import { type CompiledSchema, compileSchemas } from './schemas.js';

export interface CompiledDataset {
  policy: DatasetPolicy;
  /** Per gate, by its index in GATE_SPECS: false when the dataset's ops toggles disable it. */
  runs: boolean[];
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

/** RESOLUTION always runs: it decides which dataset's toggles apply. */
function gateSwitches(disabled: Set<GateName>): boolean[] {
  return GATE_SPECS.map((g) => g.name === 'RESOLUTION' || !disabled.has(g.name));
}

export interface CompiledSnapshot {
  version: number;
  limits: envelope.EnvelopeLimits;
  schemas: Map<string, CompiledSchema>;
  compat: compatibility.CompatContext;
  unavailable: Set<string>;
  resolution: resolution.CompiledResolution;
  datasets: Map<string, CompiledDataset>;
  /** Shadow candidate policies by dataset URN; empty (one size check per record) when none is attached. */
  shadows: Map<string, CompiledDataset>;
  /** Compile-time findings (unknown formats, unresolved refs) for logs; never per record. */
  warnings: string[];
  unresolvedFrags: DatasetFragments;
}

interface DatasetContext {
  s: PolicySnapshot;
  schemas: Map<string, CompiledSchema>;
  unavailable: Set<string>;
  contracts: Map<string, contract.CompiledContract>;
  keys: ReturnType<typeof identity.compileKeys>;
  safeMode: boolean;
}

function compileDataset(p: DatasetPolicy, c: DatasetContext, shadow: boolean): CompiledDataset {
  const ops = c.s.ops.datasets[p.dataset_urn];
  const mode = shadow ? SHADOW_MODE : (ops?.mode_override ?? p.enforcement_mode);
  const registered = p.schema_id !== undefined ? c.schemas.get(p.schema_id) : undefined;
  const compiledContract = p.contract_id !== undefined ? c.contracts.get(p.contract_id) : undefined;
  return {
    policy: p,
    runs: gateSwitches(new Set(ops?.disabled_gates ?? [])),
    onPass: mode === 'REPUBLISH_PASS_ONLY' && p.blessed_topic ? 'REPUBLISH' : 'NONE',
    onFail: mode === 'QUARANTINE_ON_FAIL' ? 'QUARANTINE' : 'NONE',
    paused: c.safeMode || ops?.actions_paused === true,
    blessedTopic: p.blessed_topic,
    identity: identity.compile(p.producer_identity, c.keys),
    registered,
    registeredCode:
      p.schema_id === undefined || registered !== undefined
        ? null
        : c.unavailable.has(p.schema_id)
          ? 'SCHEMA_REGISTRY_UNAVAILABLE'
          : 'SCHEMA_NOT_FOUND',
    contract: compiledContract,
    pii: pii.compile(p.pii_policy, compiledContract?.pii),
    frags: datasetFragments(p.dataset_urn, p.contract_id ?? null, p.version, mode),
  };
}

/** The enforcement mode shadow evidence reports: judged, never acted on. */
export const SHADOW_MODE = 'SHADOW';

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
  const ctx: DatasetContext = { s, schemas, unavailable, contracts, keys, safeMode };
  for (const p of s.policies) datasets.set(p.dataset_urn, compileDataset(p, ctx, false));
  // Shadow candidates: judged beside the active policy, never acted on (mode SHADOW, no action).
  const shadows = new Map<string, CompiledDataset>();
  for (const p of s.shadows ?? [])
    if (datasets.has(p.dataset_urn)) shadows.set(p.dataset_urn, compileDataset(p, ctx, true));
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
    shadows,
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

const NO_CODES: string[] = [];

/** Module-level (not a per-record closure): records one gate's failure. */
function add(failedGates: string[], gateCodes: string[][], gate: GateName, codes: string[] | null): void {
  if (codes?.length) {
    failedGates.push(gate);
    gateCodes.push(codes);
  }
}

const GATE_ACTION = { NONE: 'NONE', QUARANTINE: 'QUARANTINED', REPUBLISH: 'REPUBLISHED' } as const;
const RESOLUTION = GATE_SPECS[0];

/** Evaluates one record; `nowJson` is the batch's JSON-quoted evidence timestamp. */
export function evaluateRecord(snap: CompiledSnapshot, rec: RawRecord, nowJson: string): RecordOutcome {
  return judge(snap, rec, nowJson, undefined) as RecordOutcome;
}

/**
 * The record judged by its dataset's shadow candidate, as a shadow evidence event (stage SHADOW,
 * enforcement mode SHADOW, action NONE) carrying the active verdict under `shadow_of`; undefined
 * when the record's dataset has no shadow. Callers check `snap.shadows.size` first.
 */
export function evaluateShadow(
  snap: CompiledSnapshot,
  rec: RawRecord,
  nowJson: string,
  active: RecordOutcome,
): string | undefined {
  const urn = active.verdict.dataset_urn;
  if (urn === null || !snap.shadows.has(urn)) return undefined;
  const out = judge(snap, rec, nowJson, snap.shadows);
  if (out === undefined) return undefined;
  const activeVersion = snap.datasets.get(urn)?.policy.version ?? null;
  const of: ShadowOf = {
    policy_version: activeVersion,
    result: active.verdict.pass ? 'PASS' : 'FAIL',
    reason_codes: active.gateCodes.flat(),
  };
  // The rest of the ShadowEvidenceEvent model (stage, mode SHADOW, action NONE) is set by judge().
  const e = out.evidence.replace('"stage":"OBSERVED_RAW"', '"stage":"SHADOW"');
  return `${e.slice(0, -1)},"shadow_of":${JSON.stringify(of)}}`;
}

/** The gates over one record, by its dataset's policy, or by its shadow when `shadows` is given. */
function judge(
  snap: CompiledSnapshot,
  rec: RawRecord,
  nowJson: string,
  shadows: Map<string, CompiledDataset> | undefined,
): RecordOutcome | undefined {
  const j = new RecordJudgement(snap, rec);
  const failedGates: string[] = [];
  const gateCodes: string[][] = [];
  add(failedGates, gateCodes, RESOLUTION.name, RESOLUTION.run(j));
  if (shadows !== undefined) {
    j.ds = j.ds && shadows.get(j.ds.policy.dataset_urn);
    if (j.ds === undefined) return undefined;
  }
  const ds = j.ds;
  if (ds === undefined) {
    return finish({ j, nowJson, ds, decided: 'NONE', writer: j.wireWriter, failedGates, gateCodes });
  }
  j.useDataset(ds);
  for (let g = 1; g < GATE_SPECS.length; g++) {
    if (ds.runs[g]) add(failedGates, gateCodes, GATE_SPECS[g].name, GATE_SPECS[g].run(j));
  }
  const decided = failedGates.length === 0 ? ds.onPass : ds.onFail;
  return finish({ j, nowJson, ds, decided, writer: j.writer, failedGates, gateCodes });
}

/** Everything the gates decided about one record: what its evidence and verdict are made of. */
interface Judged {
  j: RecordJudgement;
  /** The batch's JSON-quoted evidence timestamp. */
  nowJson: string;
  /** The record's dataset, when it resolved to one with a policy. */
  ds: CompiledDataset | undefined;
  /** The action before ops toggles pause it. */
  decided: RecordVerdict['action'];
  writer: CompiledSchema | undefined;
  failedGates: string[];
  /** Parallel to failedGates. */
  gateCodes: string[][];
}

function finish(d: Judged): RecordOutcome {
  const { j, ds, decided, writer, failedGates, gateCodes } = d;
  const { snap, rec, urn, who } = j;
  const pass = failedGates.length === 0;
  const paused = ds?.paused === true && decided !== 'NONE';
  const action = paused ? 'NONE' : decided;
  const id = evidenceId(rec.topic, rec.partition, rec.offset, ds?.policy.version ?? 0);
  const reasonCodes = gateCodes.length === 0 ? NO_CODES : gateCodes.length === 1 ? gateCodes[0] : gateCodes.flat();
  const confidence = who?.confidence ?? 'NONE';
  const evidence = serialiseEvidence({
    id,
    nowJson: d.nowJson,
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
