/**
 * The verdict differences of a shadow candidate (issue 18 item 5): from the shadow evidence the
 * enforcers emit (ShadowEvidenceEvent: stage SHADOW, the active verdict under `shadow_of`), the
 * records that would flip PASS->FAIL (by the candidate's reason codes) or FAIL->PASS (by the active
 * policy's codes).
 *
 * Incremental: ShadowTallies keeps, per (dataset, candidate version), one tally per minute of
 * evidence time, updated as the shadow topic is consumed (reader.ts). A report sums the buckets at
 * or after the candidate's attach time, so it costs minutes of trial, not events on the topic.
 */
import { Compile } from 'typebox/compile';
import { ShadowEvidenceEvent } from '../../models/index.js';

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

const checkShadow = Compile(ShadowEvidenceEvent);

/** One event, or undefined when it is not shadow evidence (by the model). */
export function parseShadowEvidence(text: string): ShadowEvidenceEvent | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return checkShadow.Check(v) ? (v as ShadowEvidenceEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** What a report sums: the report without its identity. */
type Tally = Omit<ShadowReport, 'dataset_urn' | 'shadow_version' | 'active_versions'> & { active: Set<number> };

const emptyTally = (): Tally => ({
  records: 0,
  unchanged: 0,
  pass_to_fail: { records: 0, by_reason: {} },
  fail_to_pass: { records: 0, by_reason: {} },
  fail_codes_changed: 0,
  active: new Set(),
});

function count(flip: Flip, codes: string[]): void {
  flip.records++;
  for (const c of new Set(codes)) flip.by_reason[c] = (flip.by_reason[c] ?? 0) + 1;
}

function addEvent(t: Tally, e: ShadowEvidenceEvent): void {
  t.records++;
  if (e.shadow_of.policy_version !== null) t.active.add(e.shadow_of.policy_version);
  const was = e.shadow_of.result;
  const now = e.validation.result;
  if (was === 'PASS' && now === 'FAIL') count(t.pass_to_fail, e.validation.reason_codes);
  else if (was === 'FAIL' && now === 'PASS') count(t.fail_to_pass, e.shadow_of.reason_codes);
  else if (was === 'FAIL' && !sameCodes(e.shadow_of.reason_codes, e.validation.reason_codes)) t.fail_codes_changed++;
  else t.unchanged++;
}

function mergeFlip(into: Flip, from: Flip): void {
  into.records += from.records;
  for (const [c, n] of Object.entries(from.by_reason)) into.by_reason[c] = (into.by_reason[c] ?? 0) + n;
}

function merge(into: Tally, from: Tally): void {
  into.records += from.records;
  into.unchanged += from.unchanged;
  into.fail_codes_changed += from.fail_codes_changed;
  mergeFlip(into.pass_to_fail, from.pass_to_fail);
  mergeFlip(into.fail_to_pass, from.fail_to_pass);
  for (const v of from.active) into.active.add(v);
}

interface Bucket {
  tally: Tally;
  /** Newest evidence time in the bucket (ms): a bucket entirely before the attach time is left out. */
  last: number;
}

const MINUTE_MS = 60_000;

export class ShadowTallies {
  /** `<urn>\n<version>` -> minute (ms) -> bucket. */
  private readonly byCandidate = new Map<string, Map<number, Bucket>>();
  private events = 0;

  add(e: ShadowEvidenceEvent): void {
    const ts = Date.parse(e.timestamp);
    if (Number.isNaN(ts)) return;
    const key = `${e.dataset_urn}\n${e.policy_version}`;
    let buckets = this.byCandidate.get(key);
    if (!buckets) {
      buckets = new Map();
      this.byCandidate.set(key, buckets);
    }
    const minute = ts - (ts % MINUTE_MS);
    let b = buckets.get(minute);
    if (!b) {
      b = { tally: emptyTally(), last: ts };
      buckets.set(minute, b);
    }
    addEvent(b.tally, e);
    if (ts > b.last) b.last = ts;
    this.events++;
  }

  /** Events tallied so far (metrics, tests). */
  size(): number {
    return this.events;
  }

  /**
   * @param since the candidate version's updated_at: a detached and re-attached candidate counts
   * from 1 again, so older events with the same number are left out by time, to the minute: the
   * bucket holding `since` is included whole when it has evidence at or after it.
   */
  report(urn: string, shadowVersion: number, since: string): ShadowReport {
    const sum = emptyTally();
    const from = Date.parse(since);
    for (const [minute, b] of this.byCandidate.get(`${urn}\n${shadowVersion}`) ?? []) {
      if (minute + MINUTE_MS <= from || b.last < from) continue;
      merge(sum, b.tally);
    }
    const { active, ...counts } = sum;
    return {
      dataset_urn: urn,
      shadow_version: shadowVersion,
      ...counts,
      active_versions: [...active].sort((a, b) => a - b),
    };
  }
}

/** The report over a list of events (tests, and a one-off read). */
export function tallyShadow(
  events: Iterable<ShadowEvidenceEvent>,
  urn: string,
  shadowVersion: number,
  since: string,
): ShadowReport {
  const t = new ShadowTallies();
  for (const e of events) t.add(e);
  return t.report(urn, shadowVersion, since);
}

function sameCodes(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((c) => s.has(c));
}
