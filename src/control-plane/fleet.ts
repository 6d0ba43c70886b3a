/**
 * The enforcer fleet as this control plane replica sees it: every policy poll (GET /v1/snapshot)
 * carries the enforcer's report (src/common/fleet-report.ts), kept here in memory with when it
 * arrived. GET /v1/fleet lists the enforcers heard from within FLEET_WINDOW_SEC. Behind a load
 * balancer each replica sees the enforcers that poll it; with one replica (the default) that is all
 * of them. Nothing is stored: a restarted control plane knows the fleet again after one poll interval.
 */
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { FLEET_REPORT_HEADER, type FleetReport, parseReport } from '../common/fleet-report.js';
import { type App, BEARER, errorResponses, principal } from './http.js';

export const FLEET_WINDOW_SEC = 300;
/** Bound on remembered instances (a crash-looping fleet with host:pid ids makes new ones). */
const MAX_INSTANCES = 5000;

interface Seen {
  report: FleetReport;
  principal: string;
  at: number;
}

export class FleetRegistry {
  private readonly seen = new Map<string, Seen>();

  record(report: FleetReport, principalSub: string, at = Date.now()): void {
    this.seen.delete(report.instance); // re-insert: the Map stays in arrival order, oldest first
    this.seen.set(report.instance, { report, principal: principalSub, at });
    while (this.seen.size > MAX_INSTANCES) this.seen.delete(this.seen.keys().next().value as string);
  }

  /** Heard from within the window, not-ready first, then by instance. */
  list(now = Date.now()) {
    const items = [];
    for (const [k, s] of this.seen) {
      const age = (now - s.at) / 1000;
      if (age > FLEET_WINDOW_SEC) {
        this.seen.delete(k);
        continue;
      }
      items.push({
        ...s.report,
        principal: s.principal,
        last_seen_at: new Date(s.at).toISOString(),
        age_sec: Math.round(age),
      });
    }
    return items.sort((a, b) => Number(a.ready) - Number(b.ready) || a.instance.localeCompare(b.instance));
  }
}

const FleetEntry = Type.Object({
  instance: Type.String(),
  principal: Type.String({ description: 'sub of the token the enforcer polls with' }),
  ready: Type.Boolean(),
  reasons: Type.Array(Type.String(), { description: 'why not ready, as its /readyz says' }),
  lag: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'records behind; null when unknown' }),
  partitions: Type.Integer({ minimum: 0 }),
  snapshot_version: Type.Integer({ minimum: 0 }),
  last_seen_at: Type.String({ format: 'date-time' }),
  age_sec: Type.Integer({ minimum: 0 }),
});

export function fleetRoutes(app: App, fleet: FleetRegistry): void {
  app.addHook('onResponse', async (req: FastifyRequest, reply) => {
    if (req.routeOptions.url !== '/v1/snapshot' || (reply.statusCode !== 200 && reply.statusCode !== 304)) return;
    const raw = req.headers[FLEET_REPORT_HEADER];
    const report = parseReport(Array.isArray(raw) ? raw[0] : raw);
    if (report) fleet.record(report, principal(req).sub);
  });

  app.get(
    '/v1/fleet',
    {
      schema: {
        tags: ['ops'],
        summary: `Enforcers that polled this control plane in the last ${FLEET_WINDOW_SEC} s: readiness, lag, snapshot version`,
        security: BEARER,
        response: {
          200: Type.Object({ items: Type.Array(FleetEntry), window_sec: Type.Integer() }),
          ...errorResponses(401, 500),
        },
      },
    },
    async () => ({ items: fleet.list(), window_sec: FLEET_WINDOW_SEC }),
  );
}
