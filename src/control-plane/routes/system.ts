/** Probes, metrics and the OpenAPI document: no token needed. */
import type { Registry } from 'prom-client';
import Type from 'typebox';
import { ApiError } from '../errors.js';
import { INDEX_STATES, type IndexStatus } from '../evidence/status.js';
import { type App, errorResponses } from '../http.js';
import type { ControlPlaneStore } from '../store/types.js';

const Readiness = Type.Object({
  status: Type.String(),
  details: Type.Object(
    {
      policy_store: Type.String(),
      evidence_index: Type.Object({
        state: Type.Enum(INDEX_STATES),
        lag: Type.Union([Type.Integer(), Type.Null()]),
        last_error: Type.Union([Type.String(), Type.Null()]),
        attempts: Type.Integer(),
        ever_connected: Type.Boolean(),
        since: Type.String({ format: 'date-time' }),
      }),
    },
    { description: 'evidence_index is reported, not required: policies serve without it' },
  ),
});

export function systemRoutes(
  app: App,
  store: ControlPlaneStore,
  registry: Registry,
  evidenceStatus: () => IndexStatus,
): void {
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
        summary: 'Readiness: the policy store answers; details also show the evidence index state',
        response: { 200: Readiness, ...errorResponses(503) },
      },
    },
    async () => {
      const evidence_index = evidenceStatus();
      try {
        await store.ping();
      } catch (err) {
        throw new ApiError('NOT_READY', `policy store unreachable: ${(err as Error).message}`, {
          policy_store: 'unreachable',
          evidence_index,
        });
      }
      return { status: 'ready', details: { policy_store: 'ok', evidence_index } };
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
