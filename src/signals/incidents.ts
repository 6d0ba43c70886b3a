/**
 * Incidents from verdicts (pure). Per (dataset, kind) one tracker: a breach must last
 * `openAfterMs` before an incident opens; while open, each evaluation updates it; it resolves
 * only after `resolveAfterMs` of continuous recovery (hysteresis, so a flapping signal does not
 * open and close incidents). An unknown verdict (breached: null) changes nothing.
 */
import { createHash } from 'node:crypto';
import { INCIDENT_KINDS, type Incident, type IncidentKind, type ResolvedReason } from '../models/index.js';
import type { Evaluation, Verdict } from './window.js';

export interface IncidentSettings {
  openAfterMs: number;
  resolveAfterMs: number;
}

export interface Tracker {
  breachSince: number | null;
  okSince: number | null;
  /** The open incident, if any. */
  incident: Incident | null;
}

export const newTracker = (incident: Incident | null = null): Tracker => ({
  breachSince: null,
  okSince: null,
  incident,
});

export function incidentId(dataset: string, kind: IncidentKind, since: number): string {
  const h = createHash('sha256')
    .update(JSON.stringify([dataset, kind, since]))
    .digest('hex');
  return `inc-${h.slice(0, 24)}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

function evidenceLink(dataset: string, since: number, filter: Record<string, string> = {}): string {
  return `/v1/evidence?${new URLSearchParams({ dataset_urn: dataset, since: iso(since), ...filter })}`;
}

/** Advances the tracker; returns the incident when it was opened, updated or resolved. */
export function step(t: Tracker, v: Verdict, ev: Evaluation, dataset: string, now: number, s: IncidentSettings) {
  if (v.breached === null) return undefined;
  const detail = {
    summary: v.summary,
    figures: v.figures,
    top_reason_codes: v.reasons ?? [],
    suspected_producer: v.kind === 'COMPLIANCE' ? ev.suspectedProducer : null,
  };
  if (v.breached) {
    t.okSince = null;
    t.breachSince ??= now;
    if (t.incident) {
      const samples = v.kind === 'COMPLIANCE' ? mergeSamples(t.incident.sample_evidence_ids, ev.samples) : [];
      t.incident = {
        ...t.incident,
        ...detail,
        sample_evidence_ids: samples,
        last_seen: iso(now),
        updated_at: iso(now),
      };
      return t.incident;
    }
    if (now - t.breachSince < s.openAfterMs) return undefined;
    t.incident = {
      incident_id: incidentId(dataset, v.kind, t.breachSince),
      dataset_urn: dataset,
      kind: v.kind,
      state: 'open',
      opened_at: iso(now),
      updated_at: iso(now),
      resolved_at: null,
      resolved_reason: null,
      first_seen: iso(t.breachSince),
      last_seen: iso(now),
      ...detail,
      sample_evidence_ids: v.kind === 'COMPLIANCE' ? ev.samples.slice(-10) : [],
      // The evidence behind it starts a window before the breach was noticed.
      links: {
        evidence: evidenceLink(dataset, t.breachSince - Number(v.figures.window_sec ?? 0) * 1000, v.evidenceFilter),
      },
    };
    return t.incident;
  }
  t.breachSince = null;
  if (!t.incident) return undefined;
  t.okSince ??= now;
  if (now - t.okSince < s.resolveAfterMs) return undefined;
  return resolve(t, now, 'recovered');
}

/** Ends the tracker's open incident now (e.g. its dataset's policy was deleted); undefined if none. */
export function resolve(t: Tracker, now: number, reason: ResolvedReason): Incident | undefined {
  t.breachSince = null;
  t.okSince = null;
  if (!t.incident) return undefined;
  const resolved: Incident = {
    ...t.incident,
    state: 'resolved',
    resolved_at: iso(now),
    resolved_reason: reason,
    updated_at: iso(now),
  };
  t.incident = null;
  return resolved;
}

/** The breach clocks of a dataset's trackers, for its snapshot (`breached_since`). */
export function breachClocks(trackers: Iterable<[IncidentKind, Tracker]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, t] of trackers) if (t.breachSince !== null) out[kind] = iso(t.breachSince);
  return out;
}

/**
 * The breach clocks to resume from a dataset's last snapshot (published by its previous owner):
 * known kinds with a valid time no later than `now`. Anything else is ignored, not fatal: the
 * clock then starts again, as it did before snapshots carried it.
 */
export function clocksToResume(clocks: unknown, now: number): Map<IncidentKind, number> {
  const out = new Map<IncidentKind, number>();
  if (typeof clocks !== 'object' || clocks === null) return out;
  for (const [kind, at] of Object.entries(clocks)) {
    const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
    if ((INCIDENT_KINDS as readonly string[]).includes(kind) && Number.isFinite(ms) && ms <= now)
      out.set(kind as IncidentKind, ms);
  }
  return out;
}

/** The first samples stay (they show how it began); newer ones fill up to 10. */
function mergeSamples(had: string[], now: string[]): string[] {
  const out = [...had];
  for (const id of now) if (out.length < 10 && !out.includes(id)) out.push(id);
  return out;
}
