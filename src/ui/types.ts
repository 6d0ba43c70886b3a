/** The API shapes the console reads (docs/api.md, ../shared INTERFACE.md); only the fields it uses. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Policy {
  dataset_urn: string;
  schema_id?: string;
  contract_id?: string;
  enforcement_mode: string;
  pii_policy: string;
  owners: string[];
  tier: string;
  freshness_slo_sec: number;
  volume_rpm_expected: number;
  blessed_topic?: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface Health {
  dataset_urn: string;
  compliance?: { rate: number | null; window_sec: number; pass: number; fail: number; slo: number; breached: boolean };
  volume?: { records_per_min: number | null; expected_rpm: number | null; breached: boolean };
  freshness?: { last_seen_at: string | null; age_sec: number | null; slo_sec: number; breached: boolean };
  open_incidents?: number;
  as_of?: string | null;
  /** The engine's figures are older than it promises (engine down or behind), with why. */
  stale?: boolean;
  stale_reason?: string | null;
}

export interface Incident {
  incident_id: string;
  dataset_urn: string;
  kind: string;
  state: 'open' | 'acknowledged' | 'resolved' | string;
  opened_at: string;
  updated_at: string;
  resolved_at: string | null;
  /** recovered, or policy_deleted (absent on incidents older than the field). */
  resolved_reason?: string | null;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  summary: string;
  top_reason_codes: Array<string | { code: string; count?: number }>;
  suspected_producer: string | null;
  sample_evidence_ids: string[];
}

export interface Evidence {
  evidence_id: string;
  timestamp: string;
  dataset_urn: string | null;
  producer: { producer_id: string | null; identity_confidence?: string };
  source: { raw_topic: string; partition: number; offset: number; key?: string | null; event_time?: string | null };
  validation: { result: 'PASS' | 'FAIL'; failed_gates: string[]; reason_codes: string[] };
}

export interface EvidencePage extends Page<Evidence> {
  index?: { state: string; lag: number | null; last_error: string | null };
}

export interface Ops {
  dataset_urn: string;
  actions_paused: boolean;
  mode_override?: string;
  disabled_gates: string[];
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface GlobalOps {
  safe_mode: boolean;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before_version: number | null;
  after_version: number | null;
  reason?: string;
}

export const MODES = ['ALERT_ONLY', 'QUARANTINE_ON_FAIL', 'REPUBLISH_PASS_ONLY'] as const;
export const TIERS = ['TIER_1', 'TIER_2', 'TIER_3'] as const;
/** Gates an operator may disable (RESOLUTION cannot be: src/models/ops.ts). */
export const DISABLEABLE_GATES = ['IDENTITY', 'ENVELOPE', 'SCHEMA', 'COMPATIBILITY', 'CONTRACT', 'PII'] as const;
