/**
 * The control plane's view of the Signal Engine's output (pure): the latest snapshot per dataset,
 * the latest record per incident, and acknowledgements, as read from their topics. The engine
 * owns incident records; an acknowledgement is its own record (acks topic) merged in here, so the
 * engine's updates never overwrite it.
 */
import type { Incident, IncidentAck, IncidentState, SignalSnapshot } from '../../models/index.js';
import { ApiError } from '../errors.js';

export interface IncidentQuery {
  dataset_urn?: string;
  state?: IncidentState;
  kind?: string;
  limit: number;
  cursor?: string;
}

const encodeCursor = (i: Incident) => Buffer.from(JSON.stringify([i.opened_at, i.incident_id])).toString('base64url');

function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new ApiError('INVALID_CURSOR', 'cursor is not one this server issued');
}

/** Newest first: opened_at descending, then incident id. */
const before = (a: [string, string], b: [string, string]) => (a[0] !== b[0] ? a[0] > b[0] : a[1] < b[1]);

export class SignalsView {
  private readonly snapshots = new Map<string, SignalSnapshot>();
  private readonly incidents = new Map<string, Incident>();
  private readonly acks = new Map<string, IncidentAck>();

  applySnapshot(s: SignalSnapshot): void {
    const had = this.snapshots.get(s.dataset_urn);
    if (!had || had.as_of <= s.as_of) this.snapshots.set(s.dataset_urn, s);
  }

  applyIncident(i: Incident): void {
    const had = this.incidents.get(i.incident_id);
    if (!had || had.updated_at <= i.updated_at) this.incidents.set(i.incident_id, i);
  }

  applyAck(a: IncidentAck): void {
    if (!this.acks.has(a.incident_id)) this.acks.set(a.incident_id, a);
  }

  snapshot(dataset: string): SignalSnapshot | undefined {
    return this.snapshots.get(dataset);
  }

  /** The incident as served: `acknowledged` while open and acknowledged. */
  incident(id: string): Incident | undefined {
    const i = this.incidents.get(id);
    if (!i) return undefined;
    const a = this.acks.get(id);
    if (!a) return i;
    return {
      ...i,
      state: i.state === 'open' ? 'acknowledged' : i.state,
      acknowledged_by: a.acknowledged_by,
      acknowledged_at: a.acknowledged_at,
    };
  }

  openCount(dataset: string): number {
    let n = 0;
    for (const i of this.incidents.values()) if (i.dataset_urn === dataset && i.state === 'open') n++;
    return n;
  }

  query(q: IncidentQuery): { items: Incident[]; next_cursor: string | null } {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const all: Incident[] = [];
    for (const id of this.incidents.keys()) {
      const i = this.incident(id)!;
      if (q.dataset_urn && i.dataset_urn !== q.dataset_urn) continue;
      if (q.state && i.state !== q.state) continue;
      if (q.kind && i.kind !== q.kind) continue;
      if (after && !before(after, [i.opened_at, i.incident_id])) continue;
      all.push(i);
    }
    all.sort((a, b) => (before([a.opened_at, a.incident_id], [b.opened_at, b.incident_id]) ? -1 : 1));
    const items = all.slice(0, q.limit);
    return { items, next_cursor: all.length > q.limit ? encodeCursor(items[items.length - 1]) : null };
  }
}
