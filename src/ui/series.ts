/** Pure series over evidence events (unit-tested in test/unit/ui): no DOM, no fetch. */
import type { Evidence } from './types.js';

export interface Buckets {
  /** Bucket start, unix seconds. */
  x: number[];
  pass: number[];
  fail: number[];
  /** PASS share, null for an empty bucket. */
  rate: Array<number | null>;
  /** Median of timestamp - source.event_time per bucket, seconds (null when unknown). */
  lagSec: Array<number | null>;
}

/** Buckets of `sizeSec` from `fromSec` to `toSec` over the given events. */
export function bucket(events: Evidence[], fromSec: number, toSec: number, sizeSec: number): Buckets {
  const n = Math.max(1, Math.ceil((toSec - fromSec) / sizeSec));
  const x = Array.from({ length: n }, (_, i) => fromSec + i * sizeSec);
  const pass = new Array(n).fill(0);
  const fail = new Array(n).fill(0);
  const lags: number[][] = Array.from({ length: n }, () => []);
  for (const e of events) {
    const t = Date.parse(e.timestamp) / 1000;
    const i = Math.floor((t - fromSec) / sizeSec);
    if (i < 0 || i >= n) continue;
    if (e.validation.result === 'PASS') pass[i]++;
    else fail[i]++;
    const et = e.source.event_time ? Date.parse(e.source.event_time) / 1000 : Number.NaN;
    if (Number.isFinite(et) && et > 0) lags[i].push(Math.max(0, t - et));
  }
  const lagSec = lags.map((l) => (l.length === 0 ? null : l.sort((a, b) => a - b)[Math.floor(l.length / 2)]));
  return { x, pass, fail, rate: shares(pass, fail), lagSec };
}

const shares = (pass: number[], fail: number[]) => pass.map((p, i) => (p + fail[i] === 0 ? null : p / (p + fail[i])));

/** One minute of GET /v1/evidence/counts. */
export interface MinuteCount {
  minute: string;
  pass: number;
  fail: number;
}

/** Per-minute counts summed into buckets of `sizeSec` (no event times here: lagSec stays null). */
export function bucketCounts(items: MinuteCount[], fromSec: number, toSec: number, sizeSec: number): Buckets {
  const n = Math.max(1, Math.ceil((toSec - fromSec) / sizeSec));
  const x = Array.from({ length: n }, (_, i) => fromSec + i * sizeSec);
  const pass = new Array(n).fill(0);
  const fail = new Array(n).fill(0);
  for (const m of items) {
    const i = Math.floor((Date.parse(m.minute) / 1000 - fromSec) / sizeSec);
    if (i < 0 || i >= n) continue;
    pass[i] += m.pass;
    fail[i] += m.fail;
  }
  return { x, pass, fail, rate: shares(pass, fail), lagSec: new Array(n).fill(null) };
}

export interface ReasonGroup {
  code: string;
  count: number;
  gates: string[];
  last: string;
  samples: string[];
}

/** FAIL evidence grouped by reason code, biggest first, with up to `samples` ids each. */
export function groupByReason(events: Evidence[], samples = 3): ReasonGroup[] {
  const m = new Map<string, ReasonGroup>();
  for (const e of events) {
    if (e.validation.result !== 'FAIL') continue;
    const codes = e.validation.reason_codes.length > 0 ? e.validation.reason_codes : ['(no reason code)'];
    for (const code of codes) {
      let g = m.get(code);
      if (!g) {
        g = { code, count: 0, gates: [], last: e.timestamp, samples: [] };
        m.set(code, g);
      }
      g.count++;
      for (const gate of e.validation.failed_gates) if (!g.gates.includes(gate)) g.gates.push(gate);
      if (e.timestamp > g.last) g.last = e.timestamp;
      if (g.samples.length < samples) g.samples.push(e.evidence_id);
    }
  }
  return [...m.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}
