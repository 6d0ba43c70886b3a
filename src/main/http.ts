/** The enforcer's small HTTP surface for Kubernetes and Prometheus: /healthz, /readyz, /metrics. */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  live(): boolean;
  readiness(): { ready: boolean; reasons: string[] };
  registry: Registry;
}

export function startProbeServer(port: number, probes: Probes): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const ok = probes.live();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'failed' }));
    } else if (path === '/readyz') {
      const r = probes.readiness();
      res
        .writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: r.ready ? 'ready' : 'not_ready', reasons: r.reasons }));
    } else if (path === '/metrics') {
      probes.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': probes.registry.contentType }).end(body),
        (err) => res.writeHead(500).end(String(err)),
      );
    } else {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"NOT_FOUND","message":"no such path"}}');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
