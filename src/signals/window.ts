/**
 * Stage 2's pure core: one dataset's merged buckets and the signals computed from them. A
 * bucket keeps the highest evidence offset merged per evidence partition, so a partial seen
 * twice counts once.
 */
import { type DatasetPolicy, type IncidentKind, type SignalSnapshot, SLO_TIER_DEFAULTS } from '../models/index.js';
import { type Counts, emptyCounts, LAG_BOUNDS_SEC, mergeCounts, type PartialAggregate } from './partial.js';

export interface WindowSettings {
  bucketMs: number;
  /** How long buckets are kept (the learned baseline looks this far back). */
  horizonMs: number;
  /** A partial whose bucket ended more than this before it was folded is dropped as late. */
  allowedLatenessMs: number;
  /** Fewer records than this in the window never breach compliance (too little to judge). */
  minRecords: number;
  /** EWMA weight of the newest complete bucket in the learned volume baseline. */
  ewmaAlpha: number;
}

export type MergeResult = 'merged' | 'duplicate' | 'late';

interface Bucket {
  counts: Counts;
  /**
   * Evidence partition -> end of the last span merged. Stage 1 commits one evidence partition's
   * spans in order, one owner at a time, so they reach stage 2 in order: a span ending at or below
   * this is a repeat. One number per evidence partition, where a set of partial ids grew with
   * the transaction rate (memory bounded by datasets, not traffic).
   */
  merged: Map<number, number>;
}

export class DatasetWindow {
  readonly buckets = new Map<number, Bucket>();
  private lastSeen = 0;
  private lastEventTime = 0;

  /** @param since when this process began watching the dataset (anchors an absent last_seen) */
  constructor(
    readonly dataset: string,
    readonly since: number,
  ) {}

  merge(p: PartialAggregate, s: WindowSettings): MergeResult {
    if (p.bucket + s.bucketMs + s.allowedLatenessMs < p.folded_at) return 'late';
    let b = this.buckets.get(p.bucket);
    if (!b) {
      b = { counts: emptyCounts(), merged: new Map() };
      this.buckets.set(p.bucket, b);
    }
    const end = b.merged.get(p.source.partition);
    if (end !== undefined && p.source.to <= end) return 'duplicate';
    b.merged.set(p.source.partition, p.source.to);
    mergeCounts(b.counts, p);
    this.lastSeen = Math.max(this.lastSeen, p.last_seen);
    this.lastEventTime = Math.max(this.lastEventTime, p.last_event_time);
    return 'merged';
  }

  /** Drops buckets past the horizon; returns how many remain. */
  prune(now: number, s: WindowSettings): number {
    for (const k of this.buckets.keys()) if (k + s.bucketMs < now - s.horizonMs) this.buckets.delete(k);
    return this.buckets.size;
  }

  /** Sum of the buckets overlapping [from, to). */
  sum(from: number, to: number, s: WindowSettings): Counts {
    const c = emptyCounts();
    for (const [k, b] of this.buckets) if (k + s.bucketMs > from && k < to) mergeCounts(c, b.counts);
    return c;
  }

  newest(): { lastSeen: number; lastEventTime: number } {
    return { lastSeen: this.lastSeen, lastEventTime: this.lastEventTime };
  }
}

/** One signal's verdict for the incident logic; `breached: null` means unknown (no change). */
export interface Verdict {
  kind: IncidentKind;
  breached: boolean | null;
  summary: string;
  figures: Record<string, number | string | null>;
  /** The reason codes behind it (the incident's top_reason_codes). */
  reasons?: Array<{ code: string; count: number }>;
  /** Extra filters of its evidence query (links.evidence), e.g. a reason code. */
  evidenceFilter?: Record<string, string>;
}

export interface Evaluation {
  snapshot: Omit<SignalSnapshot, 'open_incidents'>;
  verdicts: Verdict[];
  /** The window's FAIL detail, for the incident record. */
  topReasons: Array<{ code: string; count: number }>;
  suspectedProducer: string | null;
  samples: string[];
}

export type Slo = { [K in keyof (typeof SLO_TIER_DEFAULTS)['TIER_1']]: number };

/** The policy's objectives, each absent field taking its tier's default. */
export function sloOf(policy: Pick<DatasetPolicy, 'tier' | 'slo'>): Slo {
  const d = SLO_TIER_DEFAULTS[policy.tier];
  const o = policy.slo ?? {};
  return {
    compliance_min: o.compliance_min ?? d.compliance_min,
    window_sec: o.window_sec ?? d.window_sec,
    identity_low_confidence_max: o.identity_low_confidence_max ?? d.identity_low_confidence_max,
    producer_mismatch_max: o.producer_mismatch_max ?? d.producer_mismatch_max,
    undeclared_pii_max: o.undeclared_pii_max ?? d.undeclared_pii_max,
  };
}

/**
 * A share of findings against its maximum. No finding is never a breach. Below `minRecords`
 * records a share is too noisy to judge (unknown), except against a maximum of 0, where one
 * finding is enough (a leak or an impersonation does not need a sample size).
 */
export function shareVerdict(count: number, total: number, max: number, minRecords: number): boolean | null {
  if (count === 0) return false;
  const over = count / total > max;
  if (total >= minRecords) return over;
  return over && max === 0 ? true : null;
}

/** Both parts known and fine: false; either breached: true; otherwise unknown. */
const either = (a: boolean | null, b: boolean | null) =>
  a === true || b === true ? true : a === null || b === null ? null : false;

const top = (m: Record<string, number>, n: number) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n);

function percentile(hist: number[], q: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i];
    if (acc >= q * total) return Number.isFinite(LAG_BOUNDS_SEC[i]) ? LAG_BOUNDS_SEC[i] : LAG_BOUNDS_SEC[i - 1];
  }
  return null;
}

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** EWMA of the per-minute rate of complete buckets since the dataset was first seen; null while learning. */
function learnedBaseline(w: DatasetWindow, lastComplete: number, s: WindowSettings): number | null {
  const keys = [...w.buckets.keys()];
  if (keys.length === 0) return null;
  const first = Math.min(...keys);
  const perMin = 60_000 / s.bucketMs;
  let ewma: number | null = null;
  let n = 0;
  for (let k = first; k <= lastComplete; k += s.bucketMs) {
    const b = w.buckets.get(k);
    const x = b ? (b.counts.pass + b.counts.fail) * perMin : 0;
    ewma = ewma === null ? x : s.ewmaAlpha * x + (1 - s.ewmaAlpha) * ewma;
    n++;
  }
  return n >= 5 && ewma !== null ? round(ewma) : null;
}

export function evaluate(
  w: DatasetWindow,
  policy: Pick<DatasetPolicy, 'tier' | 'slo' | 'freshness_slo_sec' | 'volume_rpm_expected'>,
  now: number,
  s: WindowSettings,
): Evaluation {
  const slo = sloOf(policy);
  const windowMs = slo.window_sec * 1000;
  const c = w.sum(now - windowMs, now + s.bucketMs, s);
  const total = c.pass + c.fail;
  const rate = total > 0 ? c.pass / total : null;
  const complianceBreached = rate !== null && total >= s.minRecords && rate < slo.compliance_min;
  const topReasons = top(c.fail_by_reason, 5).map(([code, count]) => ({ code, count }));
  const producers = top(c.fail_by_producer, 5).map(([producer_id, fail]) => ({ producer_id, fail }));

  // Volume: the window's mean rate against the policy's expectation (else the learned baseline).
  const current = now - (now % s.bucketMs);
  const lastComplete = current - s.bucketMs;
  const baseline = learnedBaseline(w, lastComplete, s);
  const expected = policy.volume_rpm_expected > 0 ? policy.volume_rpm_expected : (baseline ?? 0);
  const watchedMs = now - Math.min(w.since, ...w.buckets.keys());
  const rpm = round(total / (slo.window_sec / 60));
  const volumeBreached = expected > 0 && watchedMs >= windowMs && rpm < 0.5 * expected;
  const lastMinute = w.buckets.get(lastComplete)?.counts;
  const gap = expected > 0 && w.since <= lastComplete && (lastMinute ? lastMinute.pass + lastMinute.fail : 0) === 0;

  // Freshness: with no record seen yet, age counts from when this engine began watching.
  const { lastSeen, lastEventTime } = w.newest();
  const ageMs = lastSeen > 0 ? Math.max(0, now - lastSeen) : null;
  const sloMs = policy.freshness_slo_sec * 1000;
  const freshBreached = ageMs !== null ? ageMs > sloMs : now - w.since > sloMs ? true : null;

  // Identity and PII: security findings in the window.
  const lowShare = total > 0 ? round(c.low_confidence / total) : null;
  const lowBreached = shareVerdict(c.low_confidence, total, slo.identity_low_confidence_max, s.minRecords);
  const mismatchBreached = c.producer_mismatch > slo.producer_mismatch_max;
  const identityBreached = either(lowBreached, mismatchBreached);
  const piiRate = total > 0 ? round(c.pii_undeclared / total) : null;
  const piiBreached = shareVerdict(c.pii_undeclared, total, slo.undeclared_pii_max, s.minRecords);

  const snapshot: Evaluation['snapshot'] = {
    dataset_urn: w.dataset,
    as_of: new Date(now).toISOString(),
    compliance: {
      rate: rate === null ? null : round(rate),
      window_sec: slo.window_sec,
      pass: c.pass,
      fail: c.fail,
      slo: slo.compliance_min,
      breached: complianceBreached,
      fail_by_gate: c.fail_by_gate,
      fail_by_reason: c.fail_by_reason,
      top_failing_producers: producers,
    },
    volume: {
      records_per_min: rpm,
      expected_rpm: policy.volume_rpm_expected,
      baseline_rpm: baseline,
      breached: volumeBreached,
      evidence_gap: gap,
    },
    freshness: {
      last_seen_at: iso(lastSeen),
      last_event_time: iso(lastEventTime),
      age_sec: ageMs === null ? null : round(ageMs / 1000),
      slo_sec: policy.freshness_slo_sec,
      breached: freshBreached === true,
      event_lag_p50_sec: percentile(c.lag_hist, 0.5),
      event_lag_p95_sec: percentile(c.lag_hist, 0.95),
    },
    identity: {
      low_confidence_share: lowShare,
      producer_mismatch: c.producer_mismatch,
      low_confidence_max: slo.identity_low_confidence_max,
      producer_mismatch_max: slo.producer_mismatch_max,
      breached: identityBreached === true,
    },
    pii: {
      records_with_findings: c.pii_findings,
      undeclared: c.pii_undeclared,
      undeclared_rate: piiRate,
      undeclared_max: slo.undeclared_pii_max,
      breached: piiBreached === true,
    },
  };
  const pct = (x: number | null) => (x === null ? 'n/a' : `${round(x * 100)}%`);
  const verdicts: Verdict[] = [
    {
      kind: 'COMPLIANCE',
      breached: total >= s.minRecords ? complianceBreached : null,
      reasons: topReasons,
      evidenceFilter: { result: 'FAIL' },
      summary: `PASS share ${pct(rate)} over ${slo.window_sec}s is below the SLO ${pct(slo.compliance_min)} (${c.fail} FAIL of ${total})`,
      figures: {
        rate: rate === null ? null : round(rate),
        slo: slo.compliance_min,
        pass: c.pass,
        fail: c.fail,
        window_sec: slo.window_sec,
      },
    },
    {
      kind: 'VOLUME',
      breached: expected > 0 ? volumeBreached : null,
      summary: `${rpm} records/min is below half of the expected ${expected}`,
      figures: { records_per_min: rpm, expected_rpm: expected, baseline_rpm: baseline },
    },
    {
      kind: 'EVIDENCE_GAP',
      breached: expected > 0 ? gap : null,
      summary: `no evidence in the last complete minute while ${expected} records/min are expected`,
      figures: { expected_rpm: expected, minute: iso(lastComplete) },
    },
    {
      kind: 'FRESHNESS',
      breached: freshBreached,
      summary:
        ageMs === null
          ? `no record seen for more than ${policy.freshness_slo_sec}s`
          : `newest record is ${round(ageMs / 1000)}s old; the SLO is ${policy.freshness_slo_sec}s`,
      figures: {
        age_sec: ageMs === null ? null : round(ageMs / 1000),
        slo_sec: policy.freshness_slo_sec,
        last_seen_at: iso(lastSeen),
      },
    },
    {
      kind: 'IDENTITY',
      breached: identityBreached,
      reasons: c.producer_mismatch > 0 ? [{ code: 'PRODUCER_MISMATCH', count: c.producer_mismatch }] : [],
      // The evidence query has no confidence filter: a LOW-share breach links to all the window's evidence.
      evidenceFilter: mismatchBreached ? { reason_code: 'PRODUCER_MISMATCH' } : {},
      summary: [
        lowBreached
          ? `LOW-confidence producer identity on ${pct(lowShare)} of records (most ${pct(slo.identity_low_confidence_max)})`
          : '',
        mismatchBreached ? `${c.producer_mismatch} PRODUCER_MISMATCH (most ${slo.producer_mismatch_max})` : '',
      ]
        .filter(Boolean)
        .join('; ')
        .concat(` over ${slo.window_sec}s`),
      figures: {
        low_confidence_share: lowShare,
        low_confidence_max: slo.identity_low_confidence_max,
        producer_mismatch: c.producer_mismatch,
        producer_mismatch_max: slo.producer_mismatch_max,
        records: total,
        window_sec: slo.window_sec,
      },
    },
    {
      kind: 'PII',
      breached: piiBreached,
      reasons: c.pii_undeclared > 0 ? [{ code: 'UNDECLARED_PII', count: c.pii_undeclared }] : [],
      evidenceFilter: { reason_code: 'UNDECLARED_PII' },
      summary: `undeclared PII in ${c.pii_undeclared} of ${total} records (${pct(piiRate)}, most ${pct(slo.undeclared_pii_max)}) over ${slo.window_sec}s`,
      figures: {
        undeclared: c.pii_undeclared,
        undeclared_rate: piiRate,
        undeclared_max: slo.undeclared_pii_max,
        records: total,
        window_sec: slo.window_sec,
      },
    },
  ];
  const suspect = producers[0]?.producer_id;
  return {
    snapshot,
    verdicts,
    topReasons,
    suspectedProducer: suspect === undefined || suspect === '(none)' ? null : suspect,
    samples: c.samples,
  };
}
