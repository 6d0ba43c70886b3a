import Type, { type Static } from 'typebox';
import { ContractId, DatasetUrn, SchemaId, TeamName, TopicName } from './common.js';
import { GATES, PII_CLASSES } from './gates.js';

export const EnforcementMode = Type.Union([
  Type.Literal('ALERT_ONLY'),
  Type.Literal('QUARANTINE_ON_FAIL'),
  Type.Literal('REPUBLISH_PASS_ONLY'),
]);
export type EnforcementMode = Static<typeof EnforcementMode>;

/** ALLOW: no PII scan. DETECT: scan and report findings, never fail. BLOCK: undeclared PII fails the PII gate. */
export const PiiPolicy = Type.Union([Type.Literal('ALLOW'), Type.Literal('DETECT'), Type.Literal('BLOCK')]);
export type PiiPolicy = Static<typeof PiiPolicy>;

export const COMPATIBILITY_MODES = [
  'NONE',
  'DISABLED',
  'BACKWARD',
  'BACKWARD_ALL',
  'FORWARD',
  'FORWARD_ALL',
  'FULL',
  'FULL_ALL',
] as const;
export const CompatibilityMode = Type.Enum(COMPATIBILITY_MODES);
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];

export const GateNameSchema = Type.Enum(GATES);
export const PiiClassSchema = Type.Enum(PII_CLASSES);

/** How the IDENTITY gate attributes records of this dataset to a producer (design section 10). */
export const ProducerIdentitySettings = Type.Object(
  {
    /** MEDIUM confidence: the producer that owns the dataset's topic (curated ownership map). */
    owner_producer_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** HIGH confidence: header set by platform infrastructure carrying `<principal>.<hmac>`; verified, never trusted as is. */
    trusted_principal_header: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** LOW confidence: a producer id claimed in the payload (field path) or a header. */
    claim_field: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    claim_header: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type ProducerIdentitySettings = Static<typeof ProducerIdentitySettings>;

/**
 * The dataset's service-level objectives for the Signal Engine (docs/signals.md). Absent fields
 * take the tier's defaults (SLO_TIER_DEFAULTS).
 */
export const PolicySlo = Type.Object(
  {
    /** Least PASS share over the window before the dataset is in breach (0..1). */
    compliance_min: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** The rolling window the compliance rate and volume are computed over. */
    window_sec: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
    /** Most share (0..1) of records with LOW-confidence producer identity over the window (IDENTITY). */
    identity_low_confidence_max: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Most records with PRODUCER_MISMATCH over the window (IDENTITY): 0 means any mismatch breaches. */
    producer_mismatch_max: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    /** Most share (0..1) of records with UNDECLARED_PII over the window (PII): 0 means any finding breaches. */
    undeclared_pii_max: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type PolicySlo = Static<typeof PolicySlo>;

/**
 * Per-tier SLO defaults: a stricter tier breaches sooner. A producer mismatch (a claimed producer
 * that is not the owner) and undeclared PII are security findings: any one breaches on TIER_1 and
 * TIER_2; TIER_3 tolerates a few. A LOW-confidence identity (only a claim, nothing verified) is
 * tolerated on a small share of TIER_1 records and is never an incident on TIER_3 by default.
 */
export const SLO_TIER_DEFAULTS = {
  TIER_1: {
    compliance_min: 0.99,
    window_sec: 300,
    identity_low_confidence_max: 0.05,
    producer_mismatch_max: 0,
    undeclared_pii_max: 0,
  },
  TIER_2: {
    compliance_min: 0.95,
    window_sec: 600,
    identity_low_confidence_max: 0.25,
    producer_mismatch_max: 0,
    undeclared_pii_max: 0,
  },
  TIER_3: {
    compliance_min: 0.9,
    window_sec: 900,
    identity_low_confidence_max: 1,
    producer_mismatch_max: 5,
    undeclared_pii_max: 0.01,
  },
} as const;

/** The policy body a client PUTs (design section 6.2, plus what the enforcer needs). */
export const DatasetPolicyInput = Type.Object(
  {
    dataset_urn: DatasetUrn,
    schema_id: Type.Optional(SchemaId),
    contract_id: Type.Optional(ContractId),
    enforcement_mode: EnforcementMode,
    pii_policy: PiiPolicy,
    owners: Type.Array(TeamName, { minItems: 1, maxItems: 32, uniqueItems: true }),
    tier: Type.Union([Type.Literal('TIER_1'), Type.Literal('TIER_2'), Type.Literal('TIER_3')]),
    freshness_slo_sec: Type.Integer({ minimum: 1, maximum: 31_536_000 }),
    volume_rpm_expected: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    /** Required when enforcement_mode is REPUBLISH_PASS_ONLY. */
    blessed_topic: Type.Optional(TopicName),
    /** Overrides the compatibility mode the registry holds for the schema. */
    compatibility_mode: Type.Optional(CompatibilityMode),
    producer_identity: Type.Optional(ProducerIdentitySettings),
    /** Signal Engine objectives; tier defaults when absent. */
    slo: Type.Optional(PolicySlo),
  },
  { additionalProperties: false },
);
export type DatasetPolicyInput = Static<typeof DatasetPolicyInput>;

/** A stored policy: the input plus server-managed fields. */
export const DatasetPolicy = Type.Object(
  {
    ...DatasetPolicyInput.properties,
    version: Type.Integer({ minimum: 1, description: 'Server-managed; increments on every change' }),
    updated_at: Type.String({ format: 'date-time' }),
    updated_by: Type.String(),
  },
  { additionalProperties: false },
);
export type DatasetPolicy = Static<typeof DatasetPolicy>;
