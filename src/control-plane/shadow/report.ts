/**
 * The verdict differences of a shadow candidate (issue 18 item 5): from the shadow evidence the
 * enforcers emit (stage SHADOW, with the active verdict under `shadow_of`), the records that would
 * flip PASS->FAIL (by the candidate's reason codes) or FAIL->PASS (by the active policy's codes).
 */

export interface ShadowEvidence {
  stage: 'SHADOW';
  timestamp: string;
  dataset_urn: string | null;
  policy_version: number | null;
  validation: { result: 'PASS' | 'FAIL'; reason_codes: string[] };
  shadow_of: { policy_version: number | null; result: 'PASS' | 'FAIL'; reason_codes: string[] };
}

export interface Flip {
  records: number;
  /** Per reason code, records that carry it (a record with two codes counts under both). */
  by_reason: Record<string, number>;
}

export interface ShadowReport {
  dataset_urn: string;
  shadow_version: number;
  /** Shadow evidence events since the candidate was attached at this version. */
  records: number;
  unchanged: number;
  pass_to_fail: Flip;
  fail_to_pass: Flip;
  /** Both FAIL, with different reason codes. */
  fail_codes_changed: number;
  /** Active policy versions the candidate was compared against. */
  active_versions: number[];
}

/** One event, or undefined when it is not shadow evidence. */
export function parseShadowEvidence(text: string): ShadowEvidence | undefined {
  try {
    const e = JSON.parse(text) as Partial<ShadowEvidence>;
    if (e.stage !== 'SHADOW' || !e.shadow_of || !e.validation) return undefined;
    return e as ShadowEvidence;
  } catch {
    return undefined;
  }
}

function count(flip: Flip, codes: string[]): void {
  flip.records++;
  for (const c of new Set(codes)) flip.by_reason[c] = (flip.by_reason[c] ?? 0) + 1;
}

/**
 * @param since the candidate version's updated_at: a detached and re-attached candidate counts
 * from 1 again, so older events with the same number are left out by time
 */
export function tallyShadow(
  events: Iterable<ShadowEvidence>,
  urn: string,
  shadowVersion: number,
  since: string,
): ShadowReport {
  const r: ShadowReport = {
    dataset_urn: urn,
    shadow_version: shadowVersion,
    records: 0,
    unchanged: 0,
    pass_to_fail: { records: 0, by_reason: {} },
    fail_to_pass: { records: 0, by_reason: {} },
    fail_codes_changed: 0,
    active_versions: [],
  };
  const active = new Set<number>();
  const from = Date.parse(since);
  for (const e of events) {
    if (e.dataset_urn !== urn || e.policy_version !== shadowVersion || Date.parse(e.timestamp) < from) continue;
    r.records++;
    if (e.shadow_of.policy_version !== null) active.add(e.shadow_of.policy_version);
    const was = e.shadow_of.result;
    const now = e.validation.result;
    if (was === 'PASS' && now === 'FAIL') count(r.pass_to_fail, e.validation.reason_codes);
    else if (was === 'FAIL' && now === 'PASS') count(r.fail_to_pass, e.shadow_of.reason_codes);
    else if (was === 'FAIL' && !sameCodes(e.shadow_of.reason_codes, e.validation.reason_codes)) r.fail_codes_changed++;
    else r.unchanged++;
  }
  r.active_versions = [...active].sort((a, b) => a - b);
  return r;
}

function sameCodes(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((c) => s.has(c));
}
