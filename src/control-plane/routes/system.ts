/** Probes, metrics and the OpenAPI document: no token needed. */
import type { Registry } from 'prom-client';
import { ApiError } from '../errors.js';
import { type App, errorResponses } from '../http.js';
import type { ControlPlaneStore } from '../store/types.js';

export function systemRoutes(app: App, store: ControlPlaneStore, registry: Registry): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['probes'],
        summary: 'Liveness',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['probes'],
        summary: 'Readiness: the policy store answers',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } }, ...errorResponses(503) },
      },
    },
    async () => {
      try {
        await store.ping();
      } catch (err) {
        throw new ApiError('NOT_READY', `policy store unreachable: ${(err as Error).message}`);
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['probes'],
        summary: 'Prometheus metrics',
        // The text exposition format, not JSON: documented as such so clients and fuzzers agree.
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    async (_req, reply) =>
      reply
        .type(registry.contentType)
        .serializer((x: unknown) => x as string)
        .send(await registry.metrics()),
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
