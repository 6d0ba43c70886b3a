import type { EvidenceEvent } from '../../../src/models/index.js';

export const T0 = Date.UTC(2026, 11, 2, 7, 0, 0);

export function ev(o: {
  dataset?: string | null;
  raw?: string;
  partition?: number;
  offset: number;
  fail?: boolean;
  codes?: string[];
  producer?: string | null;
  at?: number;
  low?: boolean;
}): EvidenceEvent {
  const at = o.at ?? T0 + 1000;
  const fail = o.fail ?? false;
  return {
    evidence_id: `evd-${o.raw ?? 'raw.t'}-${o.partition ?? 0}-${o.offset}`,
    timestamp: new Date(at).toISOString(),
    stage: 'OBSERVED_RAW',
    dataset_urn: o.dataset === undefined ? 'urn:dp:t:a' : o.dataset,
    producer: {
      producer_id: o.producer === undefined ? 'svc-a' : o.producer,
      identity_confidence: o.low ? 'LOW' : 'HIGH',
    },
    source: {
      raw_topic: o.raw ?? 'raw.t',
      partition: o.partition ?? 0,
      offset: o.offset,
      key: null,
      event_time: new Date(at - 2000).toISOString(),
    },
    schema: { schema_id: null },
    contract: { contract_id: null },
    validation: fail
      ? { result: 'FAIL', failed_gates: ['CONTRACT'], reason_codes: o.codes ?? ['MISSING_FIELD:a', 'MISSING_FIELD:b'] }
      : { result: 'PASS', failed_gates: [], reason_codes: [] },
    otel: { trace_id: null, span_id: null },
    fingerprints: { payload_hash: null, schema_fingerprint: null },
  };
}
