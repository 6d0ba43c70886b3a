/**
 * Evidence for a record the workers gave no verdict for: a task that crashed even after
 * splitting its batch down to that one record (EVALUATION_ERROR), or a record that ran past
 * the per-record evaluation budget (EVALUATION_TIMEOUT). It is a FAIL, never silence.
 */
import type { EvidenceEvent } from '../models/evidence.js';
import { evidenceId, payloadHash } from '../workers/evidence.js';
import type { BatchResult } from '../workers/protocol.js';
import { gateFailureKey, recordsKey } from '../workers/stats-keys.js';
import type { ConsumedRecord } from './records.js';

/** Reason codes made on the main thread (docs/reason-codes.md, "Emitted outside the gate workers"). */
export const FALLBACK_REASON_CODES = {
  EVALUATION_ERROR:
    'The workers gave no verdict for this record: its task crashed, even after splitting the batch down to the record; FAIL evidence is synthesised instead of silence (src/main/fallback-evidence.ts).',
  EVALUATION_TIMEOUT:
    'Evaluating this record took longer than the per-record budget (`SF_RECORD_BUDGET_MS`, timed from when the record started); its worker was replaced and the rest of its batch judged on its own merits (docs/enforcer.md).',
} as const;
export type FallbackCode = keyof typeof FALLBACK_REASON_CODES;

/** The gate these codes are reported under: the record never got past the envelope stage. */
export const FALLBACK_GATE = 'ENVELOPE';

export function unevaluatedResult(r: ConsumedRecord, code: FallbackCode, now: number): BatchResult {
  const id = evidenceId(r.topic, r.partition, r.offset, 'err');
  const evidence: EvidenceEvent = {
    evidence_id: id,
    timestamp: new Date(now).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: null,
    producer: { producer_id: null, identity_confidence: 'NONE' },
    source: {
      raw_topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: r.key ? r.key.toString('utf8') : null,
      event_time: new Date(r.timestamp).toISOString(),
    },
    schema: { schema_id: null },
    contract: { contract_id: null },
    validation: {
      result: 'FAIL',
      failed_gates: [FALLBACK_GATE],
      reason_codes: [code],
      gate_reasons: { [FALLBACK_GATE]: [code] },
    },
    otel: { trace_id: null, span_id: null },
    fingerprints: {
      payload_hash: payloadHash(r.value),
      schema_fingerprint: null,
    },
    policy_version: null,
  };
  const bytes = Buffer.from(JSON.stringify(evidence));
  const evidenceBuf = new ArrayBuffer(bytes.length);
  new Uint8Array(evidenceBuf).set(bytes);
  return {
    evidence: evidenceBuf,
    evidenceSpans: Int32Array.of(0, bytes.length),
    verdicts: [
      {
        dataset_urn: null,
        evidence_id: id,
        pass: false,
        action: 'NONE',
        failed_gates: [FALLBACK_GATE],
        identity_confidence: 'NONE',
      },
    ],
    stats: {
      records: { [recordsKey(r.topic, '', 'FAIL')]: 1 },
      gateFailures: { [gateFailureKey(FALLBACK_GATE, code, '')]: 1 },
      evalMs: {},
    },
  };
}
