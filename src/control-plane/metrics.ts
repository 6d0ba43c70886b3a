/** Request metrics (prom-client), one registry per app so tests can build several apps. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { INDEX_STATES, type IndexStatus } from './evidence/status.js';
import type { App } from './http.js';

export function installMetrics(app: App, registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry });
  const total = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, never the raw URL: dataset URNs would explode label cardinality.
    const route = req.routeOptions.url ?? 'unmatched';
    total.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  return registry;
}

/** The evidence index's state (1 for the current one), lag and attempts, read at scrape time. */
export function installIndexMetrics(registry: Registry, status: () => IndexStatus): void {
  new Gauge({
    name: 'control_plane_evidence_index_state',
    help: 'Evidence index state: 1 for the current state, 0 for the others',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = status().state;
      for (const state of INDEX_STATES) this.set({ state }, state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'control_plane_evidence_index_lag',
    help: 'Evidence events on the topic not yet indexed (absent while unknown)',
    registers: [registry],
    collect() {
      const lag = status().lag;
      if (lag === null) this.reset();
      else this.set(lag);
    },
  });
  new Gauge({
    name: 'control_plane_evidence_index_connect_attempts',
    help: 'Connection attempts of the evidence index consumer since start',
    registers: [registry],
    collect() {
      this.set(status().attempts);
    },
  });
}
