import Type, { type Static } from 'typebox';

/**
 * The Evidence Event (design section 6.1): one immutable event per observed raw record,
 * on `signal_factory.evidence`. The documented fields and nesting are exact; extensions
 * are additional fields only (policy_version, pii_findings, enforcement).
 */
export const IdentityConfidence = Type.Union([
  Type.Literal('HIGH'),
  Type.Literal('MEDIUM'),
  Type.Literal('LOW'),
  Type.Literal('NONE'),
]);
export type IdentityConfidence = Static<typeof IdentityConfidence>;

export const EvidenceEvent = Type.Object({
  evidence_id: Type.String({ description: 'Deterministic per (raw topic, partition, offset, policy version)' }),
  timestamp: Type.String({ format: 'date-time' }),
  stage: Type.Literal('OBSERVED_RAW'),
  dataset_urn: Type.Union([Type.String(), Type.Null()], { description: 'null when the record resolved to no dataset' }),
  producer: Type.Object({
    producer_id: Type.Union([Type.String(), Type.Null()]),
    identity_confidence: IdentityConfidence,
  }),
  source: Type.Object({
    raw_topic: Type.String(),
    partition: Type.Integer({ minimum: 0 }),
    offset: Type.Integer({ minimum: 0 }),
    key: Type.Union([Type.String(), Type.Null()], {
      description: 'UTF-8 key, or base64 prefixed "base64:" when not UTF-8',
    }),
    event_time: Type.String({ format: 'date-time', description: 'Broker/producer timestamp of the raw record' }),
  }),
  schema: Type.Object({ schema_id: Type.Union([Type.String(), Type.Null()]) }),
  contract: Type.Object({ contract_id: Type.Union([Type.String(), Type.Null()]) }),
  validation: Type.Object({
    result: Type.Union([Type.Literal('PASS'), Type.Literal('FAIL')]),
    failed_gates: Type.Array(Type.String()),
    reason_codes: Type.Array(Type.String()),
    // Extension: which gate raised which codes (SCHEMA and CONTRACT share a vocabulary).
    gate_reasons: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), {
        description: 'Per failed gate, the reason codes it raised, in gate order; {} on PASS',
      }),
    ),
  }),
  otel: Type.Object({
    trace_id: Type.Union([Type.String(), Type.Null()]),
    span_id: Type.Union([Type.String(), Type.Null()]),
  }),
  fingerprints: Type.Object({
    payload_hash: Type.Union([Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }), Type.Null()]),
    schema_fingerprint: Type.Union([Type.String(), Type.Null()]),
  }),
  // Extensions (additional fields):
  policy_version: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  pii_findings: Type.Optional(Type.Array(Type.Object({ path: Type.String(), class: Type.String() }))),
  enforcement: Type.Optional(
    Type.Object({
      mode: Type.String(),
      action: Type.Union([
        Type.Literal('NONE'),
        Type.Literal('QUARANTINED'),
        Type.Literal('REPUBLISHED'),
        Type.Literal('PAUSED'),
      ]),
    }),
  ),
});
export type EvidenceEvent = Static<typeof EvidenceEvent>;

/** The active policy's verdict on the record a shadow evidence event judged by the candidate. */
export const ShadowOf = Type.Object({
  policy_version: Type.Union([Type.Integer(), Type.Null()], { description: 'The active policy version' }),
  result: Type.Union([Type.Literal('PASS'), Type.Literal('FAIL')]),
  reason_codes: Type.Array(Type.String()),
});
export type ShadowOf = Static<typeof ShadowOf>;

/**
 * Shadow evidence (issue 18, shadow policies), on `signal_factory.evidence.shadow`: the record
 * judged by its dataset's shadow candidate. An evidence event except that stage is SHADOW,
 * policy_version is the candidate's version, enforcement is `{mode: SHADOW, action: NONE}` (a
 * candidate never acts), and `shadow_of` carries the active verdict for the same record.
 */
export const ShadowEvidenceEvent = Type.Object({
  ...EvidenceEvent.properties,
  stage: Type.Literal('SHADOW'),
  dataset_urn: Type.String({ description: 'Only records of a dataset with a candidate are judged by it' }),
  policy_version: Type.Integer({ description: 'The candidate (shadow) version' }),
  enforcement: Type.Object({ mode: Type.Literal('SHADOW'), action: Type.Literal('NONE') }),
  shadow_of: ShadowOf,
});
export type ShadowEvidenceEvent = Static<typeof ShadowEvidenceEvent>;
