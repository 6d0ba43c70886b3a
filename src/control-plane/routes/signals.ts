/**
 * Dataset health and incidents from the Signal Engine (docs/signals.md). Reads need any valid
 * token; acknowledging needs the same rights as changing the dataset's policy. Health is never
 * older than it says: `as_of` is when the engine computed it, and `stale` is true (with the
 * reason) when that is longer ago than SF_SIGNALS_STALE_SEC, e.g. while the engine is down.
 */
import Type from 'typebox';
import {
  type DatasetPolicy,
  DatasetUrn,
  INCIDENT_KINDS,
  INCIDENT_STATES,
  Incident,
  SignalSnapshot,
} from '../../models/index.js';
import { DatasetWindow, evaluate } from '../../signals/window.js';
import { canManageDataset, canManageGlobal } from '../authz.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, principal } from '../http.js';
import { PageQuery } from '../schemas.js';
import type { SignalsFeed } from '../signals/consumer.js';
import type { SignalsView } from '../signals/view.js';
import type { ControlPlaneStore } from '../store/types.js';

export interface SignalsDeps {
  view: SignalsView;
  feed?: SignalsFeed;
  staleAfterSec: number;
  /** Why the view is off (503 SIGNALS_DISABLED), when it is. */
  disabledReason?: string;
}

const DatasetHealth = Type.Object({
  ...SignalSnapshot.properties,
  as_of: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When the engine computed these figures; null before its first snapshot',
  }),
  stale: Type.Boolean({ description: 'True when as_of is older than SF_SIGNALS_STALE_SEC (engine down or behind)' }),
  stale_reason: Type.Union([Type.String(), Type.Null()]),
});

/** What health says before the engine's first snapshot: the policy's objectives, no figures. */
const EMPTY_WINDOW = { bucketMs: 60_000, horizonMs: 0, allowedLatenessMs: 0, minRecords: 1, ewmaAlpha: 0.2 };

function usable(d: SignalsDeps): SignalsView {
  if (d.disabledReason !== undefined) {
    throw new ApiError('SIGNALS_DISABLED', `the signals view is off: ${d.disabledReason}`);
  }
  return d.view;
}

export function signalsRoutes(app: App, store: ControlPlaneStore, deps: SignalsDeps): void {
  app.get(
    '/v1/datasets/:dataset_urn/health',
    {
      schema: {
        tags: ['signals'],
        summary: "The dataset's current signals from the Signal Engine (compliance, volume, freshness, ...)",
        security: BEARER,
        params: Type.Object({ dataset_urn: DatasetUrn }),
        response: { 200: DatasetHealth, ...errorResponses(401, 404, 503) },
      },
    },
    async (req) => {
      const view = usable(deps);
      const urn = req.params.dataset_urn;
      const policy = await store.get<DatasetPolicy>('policy', urn);
      if (!policy) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}`);
      const snap = view.snapshot(urn);
      const now = Date.now();
      if (!snap) {
        const empty = evaluate(new DatasetWindow(urn, now), policy, now, EMPTY_WINDOW).snapshot;
        const why =
          deps.feed && !deps.feed.connected
            ? `the signals topics are unreachable (${deps.feed.lastError})`
            : 'no snapshot from the Signal Engine yet';
        return { ...empty, as_of: null, open_incidents: view.openCount(urn), stale: true, stale_reason: why };
      }
      const ageSec = (now - Date.parse(snap.as_of)) / 1000;
      const stale = ageSec > deps.staleAfterSec;
      return {
        ...snap,
        open_incidents: view.openCount(urn),
        stale,
        stale_reason: stale
          ? `the last snapshot is ${Math.round(ageSec)}s old (more than SF_SIGNALS_STALE_SEC=${deps.staleAfterSec}): the Signal Engine is down or behind`
          : null,
      };
    },
  );

  app.get(
    '/v1/incidents',
    {
      schema: {
        tags: ['signals'],
        summary: 'Incidents, newest first; filter by dataset, state and kind',
        security: BEARER,
        querystring: Type.Object(
          {
            dataset_urn: Type.Optional(DatasetUrn),
            state: Type.Optional(Type.Enum(INCIDENT_STATES)),
            kind: Type.Optional(Type.Enum(INCIDENT_KINDS)),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(Incident), next_cursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses(401, 503),
        },
      },
    },
    async (req) => usable(deps).query({ ...req.query, limit: req.query.limit ?? 100 }),
  );

  const IdParams = Type.Object({ incident_id: Type.String({ minLength: 1, maxLength: 128 }) });
  const found = (view: SignalsView, id: string) => {
    const i = view.incident(id);
    if (!i) throw new ApiError('INCIDENT_NOT_FOUND', `no incident ${id}`);
    return i;
  };

  app.get(
    '/v1/incidents/:incident_id',
    {
      schema: {
        tags: ['signals'],
        summary: 'One incident',
        security: BEARER,
        params: IdParams,
        response: { 200: Incident, ...errorResponses(401, 404, 503) },
      },
    },
    async (req) => found(usable(deps), req.params.incident_id),
  );

  app.post(
    '/v1/incidents/:incident_id/ack',
    {
      schema: {
        tags: ['signals'],
        summary: "Acknowledge an open incident (the dataset's owners or an admin); repeating it is harmless",
        security: BEARER,
        params: IdParams,
        response: { 200: Incident, ...errorResponses(401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const view = usable(deps);
      const p = principal(req);
      const i = found(view, req.params.incident_id);
      const policy = await store.get<DatasetPolicy>('policy', i.dataset_urn);
      enforce(policy ? canManageDataset(p, policy.owners) : canManageGlobal(p));
      if (i.state === 'acknowledged') return i;
      if (i.state === 'resolved') throw new ApiError('INCIDENT_RESOLVED', `incident ${i.incident_id} is resolved`);
      try {
        await deps.feed!.ack({
          incident_id: i.incident_id,
          acknowledged_by: p.sub,
          acknowledged_at: new Date().toISOString(),
        });
      } catch (err) {
        throw new ApiError(
          'SIGNALS_UNAVAILABLE',
          `the acknowledgement could not be published: ${(err as Error).message}`,
        );
      }
      return found(view, i.incident_id);
    },
  );
}
