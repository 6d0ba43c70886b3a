/**
 * Incidents from verdicts (pure). Per (dataset, kind) one tracker: a breach must last
 * `openAfterMs` before an incident opens; while open, each evaluation updates it; it resolves
 * only after `resolveAfterMs` of continuous recovery (hysteresis, so a flapping signal does not
 * open and close incidents). An unknown verdict (breached: null) changes nothing.
 */
import { createHash } from 'node:crypto';
import type { Incident, IncidentKind } from '../models/index.js';
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

function evidenceLink(dataset: string, kind: IncidentKind, since: number): string {
  const q = new URLSearchParams({ dataset_urn: dataset, since: iso(since) });
  if (kind === 'COMPLIANCE') q.set('result', 'FAIL');
  return `/v1/evidence?${q}`;
}

/** Advances the tracker; returns the incident when it was opened, updated or resolved. */
export function step(t: Tracker, v: Verdict, ev: Evaluation, dataset: string, now: number, s: IncidentSettings) {
  if (v.breached === null) return undefined;
  const detail = {
    summary: v.summary,
    figures: v.figures,
    top_reason_codes: v.kind === 'COMPLIANCE' ? ev.topReasons : [],
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
      first_seen: iso(t.breachSince),
      last_seen: iso(now),
      ...detail,
      sample_evidence_ids: v.kind === 'COMPLIANCE' ? ev.samples.slice(-10) : [],
      // The evidence behind it starts a window before the breach was noticed.
      links: { evidence: evidenceLink(dataset, v.kind, t.breachSince - Number(v.figures.window_sec ?? 0) * 1000) },
    };
    return t.incident;
  }
  t.breachSince = null;
  if (!t.incident) return undefined;
  t.okSince ??= now;
  if (now - t.okSince < s.resolveAfterMs) return undefined;
  const resolved: Incident = { ...t.incident, state: 'resolved', resolved_at: iso(now), updated_at: iso(now) };
  t.incident = null;
  t.okSince = null;
  return resolved;
}

/** The first samples stay (they show how it began); newer ones fill up to 10. */
function mergeSamples(had: string[], now: string[]): string[] {
  const out = [...had];
  for (const id of now) if (out.length < 10 && !out.includes(id)) out.push(id);
  return out;
}
