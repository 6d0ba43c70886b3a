/**
 * Figures derived from the public API for display: health per dataset (the signal engine) and
 * per-bucket series computed from a sample of indexed evidence (the index holds events, not a
 * time series: the charts say how many events they rest on).
 */
import { enc, get, qs, type Result } from './api.js';
import { type Buckets, bucket, bucketCounts, type MinuteCount } from './series.js';
import type { EvidencePage, Health } from './types.js';

export const healthOf = (urn: string): Promise<Result<Health>> => get<Health>(`/v1/datasets/${enc(urn)}/health`);

/** Unhealthy: any breached signal or an open incident. */
export const unhealthy = (h: Health | undefined) =>
  !!h &&
  (h.compliance?.breached === true ||
    h.volume?.breached === true ||
    h.freshness?.breached === true ||
    (h.open_incidents ?? 0) > 0);

export function recentEvidence(
  urn: string,
  opts: { since?: string; result?: 'PASS' | 'FAIL'; limit: number },
): Promise<Result<EvidencePage>> {
  return get<EvidencePage>(
    `/v1/evidence${qs({ dataset_urn: urn, result: opts.result, since: opts.since, limit: opts.limit })}`,
  );
}

export { bucket, groupByReason } from './series.js';

const EVENT_SAMPLE = 500;

export interface PassFail {
  b: Buckets;
  /** `counts`: the index's per-minute counts (every event); `events`: a sample of indexed events. */
  source: 'counts' | 'events';
  events: number;
  /** The event sample hit its limit: older buckets are under-counted. */
  capped: boolean;
  index?: EvidencePage['index'];
}

/**
 * PASS/FAIL per bucket: from GET /v1/evidence/counts (every event counted once) when the control
 * plane has it, else from the newest indexed events (an index that also holds PASS evidence).
 */
export async function passFail(
  urn: string,
  fromSec: number,
  toSec: number,
  sizeSec: number,
): Promise<Result<PassFail>> {
  const since = new Date(fromSec * 1000).toISOString();
  const until = new Date(toSec * 1000).toISOString();
  const c = await get<{ items: MinuteCount[]; index?: EvidencePage['index'] }>(
    `/v1/evidence/counts${qs({ dataset_urn: urn, since, until })}`,
  );
  if (c.ok) {
    const b = bucketCounts(c.body.items, fromSec, toSec, sizeSec);
    const events = c.body.items.reduce((n, m) => n + m.pass + m.fail, 0);
    return { ...c, body: { b, source: 'counts', events, capped: false, index: c.body.index } };
  }
  // Without the counts route, `/v1/evidence/counts` reaches `/v1/evidence/{evidence_id}`, which refuses
  // the query (UNKNOWN_QUERY_PARAMETER) or finds no event called "counts": both mean "no counts here".
  const noCounts = c.missing || c.code === 'UNKNOWN_QUERY_PARAMETER' || c.code === 'EVIDENCE_NOT_FOUND';
  if (!noCounts) return c;
  const e = await recentEvidence(urn, { since, limit: EVENT_SAMPLE });
  if (!e.ok) return e;
  const b = bucket(e.body.items, fromSec, toSec, sizeSec);
  return {
    ...e,
    body: {
      b,
      source: 'events',
      events: e.body.items.length,
      capped: e.body.next_cursor !== null,
      index: e.body.index,
    },
  };
}
