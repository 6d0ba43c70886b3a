/**
 * What an enforcer tells the control plane about itself on every policy poll (GET /v1/snapshot),
 * so operators see the fleet (GET /v1/fleet, the console's Global page) without scraping each pod.
 * One header, `X-SF-Enforcer-Report`: the JSON below, percent-encoded. It rides on a request
 * that happens anyway (every SF_POLICY_REFRESH_MS), so it costs no extra call.
 */
export const FLEET_REPORT_HEADER = 'x-sf-enforcer-report';

export interface FleetReport {
  /** SF_ENFORCER_INSTANCE_ID (the pod name in the chart), else host:pid. */
  instance: string;
  ready: boolean;
  /** Why not ready (the enforcer's /readyz reasons). */
  reasons: string[];
  /** Records behind on the assigned partitions (sum of enforcer_consumer_lag); null before it is known. */
  lag: number | null;
  partitions: number;
  snapshot_version: number;
}

export const encodeReport = (r: FleetReport): string => encodeURIComponent(JSON.stringify(r));

const MAX_INSTANCE = 256;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The report, or undefined when the header is absent or not one of ours (never throws: it is advisory). */
export function parseReport(raw: string | undefined): FleetReport | undefined {
  if (!raw || raw.length > 4096) return undefined;
  let v: Partial<FleetReport>;
  try {
    v = JSON.parse(decodeURIComponent(raw));
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  if (typeof v.instance !== 'string' || v.instance === '' || v.instance.length > MAX_INSTANCE) return undefined;
  if (typeof v.ready !== 'boolean' || !isCount(v.partitions) || !isCount(v.snapshot_version)) return undefined;
  if (v.lag !== null && !isCount(v.lag)) return undefined;
  const reasons = Array.isArray(v.reasons) ? v.reasons.filter((x) => typeof x === 'string').slice(0, 10) : [];
  return {
    instance: v.instance,
    ready: v.ready,
    reasons: reasons.map((x) => x.slice(0, 300)),
    lag: v.lag,
    partitions: v.partitions,
    snapshot_version: v.snapshot_version,
  };
}
