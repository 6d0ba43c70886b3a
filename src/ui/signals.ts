/**
 * Figures derived from the public API for display: health per dataset (the signal engine) and
 * per-bucket series computed from a sample of indexed evidence (the index holds events, not a
 * time series: the charts say how many events they rest on).
 */
import { enc, get, qs, type Result } from './api.js';
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
