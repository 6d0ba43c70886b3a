/**
 * Evidence for a record the workers could not evaluate at all (a crashed or timed-out
 * task even after splitting down to that one record). It is a FAIL, never silence.
 */
import type { EvidenceEvent } from '../models/evidence.js';
import { evidenceId, payloadHash } from '../workers/evidence.js';
import { ACTION_NONE, type BatchResult } from '../workers/protocol.js';
import type { ConsumedRecord } from './records.js';

export const EVALUATION_ERROR = 'EVALUATION_ERROR';

export function evaluationErrorResult(r: ConsumedRecord, _snapshotVersion: number, now: number): BatchResult {
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
    validation: { result: 'FAIL', failed_gates: ['ENVELOPE'], reason_codes: [EVALUATION_ERROR] },
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
    verdicts: {
      action: Uint8Array.of(ACTION_NONE),
      dataset: Int32Array.of(0),
      datasets: [null],
      details: {
        0: {
          dataset_urn: null,
          evidence_id: id,
          pass: false,
          action: 'NONE',
          failed_gates: ['ENVELOPE'],
          identity_confidence: 'NONE',
        },
      },
    },
    stats: {
      records: { [`${r.topic}\u0000\u0000FAIL`]: 1 },
      gateFailures: { [`ENVELOPE\u0000${EVALUATION_ERROR}\u0000`]: 1 },
      evalMs: {},
    },
  };
}
