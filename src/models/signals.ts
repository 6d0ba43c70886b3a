import Type, { type Static } from 'typebox';

/**
 * What the Signal Engine publishes (docs/signals.md): one snapshot per dataset on
 * `signal_factory.signals` (keyed by dataset URN) and incidents on `signal_factory.incidents`
 * (compacted, keyed by incident id). The control plane serves both.
 */
const Count = Type.Integer({ minimum: 0 });
const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ProducerCount = Type.Object({ producer_id: Nullable(Type.String()), fail: Count });

export const ComplianceSignal = Type.Object({
  rate: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'PASS share over the window; null: no records' })),
  window_sec: Type.Integer({ minimum: 1 }),
  pass: Count,
  fail: Count,
  slo: Type.Number({ minimum: 0, maximum: 1, description: 'compliance_min of the policy (or its tier default)' }),
  breached: Type.Boolean(),
  fail_by_gate: Type.Record(Type.String(), Count),
  fail_by_reason: Type.Record(Type.String(), Count, { description: 'Keyed by reason-code base (before the colon)' }),
  top_failing_producers: Type.Array(ProducerCount),
});

export const VolumeSignal = Type.Object({
  records_per_min: Type.Number({ minimum: 0, description: 'Mean over the window' }),
  expected_rpm: Type.Integer({ minimum: 0 }),
  baseline_rpm: Nullable(Type.Number({ description: 'Learned: EWMA of complete minutes; null while learning' })),
  breached: Type.Boolean({ description: 'Below half of the expected (or learned) rate' }),
  evidence_gap: Type.Boolean({ description: 'Traffic is expected and the last complete minute had none' }),
});

export const FreshnessSignal = Type.Object({
  last_seen_at: Nullable(Type.String({ format: 'date-time', description: 'Newest evidence timestamp' })),
  last_event_time: Nullable(Type.String({ format: 'date-time', description: 'Newest source.event_time' })),
  age_sec: Nullable(Type.Number({ minimum: 0 })),
  slo_sec: Type.Integer({ minimum: 1 }),
  breached: Type.Boolean(),
  event_lag_p50_sec: Nullable(Type.Number()),
  event_lag_p95_sec: Nullable(Type.Number()),
});

// The objectives and `breached` of identity and PII are optional: snapshots published before
// they existed stay valid on the compacted topic.
export const IdentitySignal = Type.Object({
  low_confidence_share: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  producer_mismatch: Count,
  low_confidence_max: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: 'identity_low_confidence_max (or its tier default)' }),
  ),
  producer_mismatch_max: Type.Optional(Type.Integer({ minimum: 0, description: 'producer_mismatch_max (or default)' })),
  breached: Type.Optional(Type.Boolean()),
});

export const PiiSignal = Type.Object({
  records_with_findings: Count,
  undeclared: Count,
  undeclared_rate: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  undeclared_max: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: 'undeclared_pii_max (or its tier default)' }),
  ),
  breached: Type.Optional(Type.Boolean()),
});

export const SignalSnapshot = Type.Object({
  dataset_urn: Type.String(),
  as_of: Type.String({ format: 'date-time', description: 'When the engine computed this snapshot' }),
  compliance: ComplianceSignal,
  volume: VolumeSignal,
  freshness: FreshnessSignal,
  identity: IdentitySignal,
  pii: PiiSignal,
  open_incidents: Count,
  breached_since: Type.Optional(
    Type.Record(Type.String(), Type.String({ format: 'date-time' }), {
      description:
        'Per incident kind in breach: when the breach began. A new owner of the dataset resumes these clocks (SF_SIGNALS_OPEN_AFTER_SEC) after a handover',
    }),
  ),
});
export type SignalSnapshot = Static<typeof SignalSnapshot>;

/** An outward API (REST `kind=` filter, console, alert rules `signals_dataset_breached{kind}`): only add. */
export const INCIDENT_KINDS = ['COMPLIANCE', 'VOLUME', 'EVIDENCE_GAP', 'FRESHNESS', 'IDENTITY', 'PII'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export const INCIDENT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
/** Why a resolved incident is: its signal recovered, or its dataset's policy was deleted. */
export const RESOLVED_REASONS = ['recovered', 'policy_deleted'] as const;
export type ResolvedReason = (typeof RESOLVED_REASONS)[number];

export const Incident = Type.Object({
  incident_id: Type.String({ description: 'Deterministic: from (dataset, kind, first breached minute)' }),
  dataset_urn: Type.String(),
  kind: Type.Enum(INCIDENT_KINDS),
  state: Type.Enum(INCIDENT_STATES),
  opened_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  resolved_at: Nullable(Type.String({ format: 'date-time' })),
  resolved_reason: Type.Optional(
    Nullable(Type.Enum(RESOLVED_REASONS, { description: 'Set when resolved (absent on records older than it)' })),
  ),
  first_seen: Type.String({ format: 'date-time', description: 'When the breach began' }),
  last_seen: Type.String({ format: 'date-time', description: 'Last evaluation still in breach' }),
  summary: Type.String(),
  figures: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Null()])),
  top_reason_codes: Type.Array(Type.Object({ code: Type.String(), count: Count })),
  suspected_producer: Nullable(Type.String()),
  sample_evidence_ids: Type.Array(Type.String(), { maxItems: 10 }),
  links: Type.Object({ evidence: Type.String({ description: 'The evidence query (GET /v1/evidence) behind it' }) }),
  acknowledged_by: Type.Optional(Nullable(Type.String())),
  acknowledged_at: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
});
export type Incident = Static<typeof Incident>;

/** An acknowledgement, published by the control plane to `signal_factory.incidents.acks` (keyed by incident id). */
export const IncidentAck = Type.Object({
  incident_id: Type.String(),
  acknowledged_by: Type.String(),
  acknowledged_at: Type.String({ format: 'date-time' }),
});
export type IncidentAck = Static<typeof IncidentAck>;
