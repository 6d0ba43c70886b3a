/**
 * The Gateway Control Plane as a fastify app. `buildApp(deps)` wires nothing from the
 * environment, so tests start it with their own store and authenticator on port 0.
 */

import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import { registerAjvFormats, type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyReply, type RawServerDefault } from 'fastify';
import type { Registry } from 'prom-client';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { Logger } from '../common/logger.js';
import type { Authenticator } from './auth.js';
import { ApiError, StoreError, VersionConflictError } from './errors.js';
import type { EvidenceIndex } from './evidence/index-store.js';
import { disabledStatus, type IndexStatus } from './evidence/status.js';
import { type App, errorResponses, setPrincipal } from './http.js';
import { KnownPaths } from './methods.js';
import { installIndexMetrics, installMetrics } from './metrics.js';
import { contractRoutes } from './routes/contracts.js';
import { datasetRoutes } from './routes/datasets.js';
import { evidenceRoutes } from './routes/evidence.js';
import { feedRoutes } from './routes/feeds.js';
import { opsRoutes } from './routes/ops.js';
import { type SignalsDeps, signalsRoutes } from './routes/signals.js';
import { systemRoutes } from './routes/system.js';
import type { SchemaRegistry } from './schema-registry.js';
import { SignalsView } from './signals/view.js';
import { SnapshotFeed } from './snapshot.js';
import type { ControlPlaneStore } from './store/types.js';

export interface AppDeps {
  store: ControlPlaneStore;
  auth: Authenticator;
  schemas: SchemaRegistry;
  /** Absent when the index is off: GET /v1/evidence answers 503 EVIDENCE_INDEX_DISABLED. */
  evidence?: EvidenceIndex;
  /** The index consumer's state (EvidenceIndexer.status); without it an index counts as live. */
  evidenceStatus?: () => IndexStatus;
  logger?: Logger;
  registry?: Registry;
  bodyLimit?: number;
  /** The Signal Engine's output; absent: health and incidents answer 503 SIGNALS_DISABLED. */
  signals?: SignalsDeps;
}

/** Longest raw path parameter: a 300-character id fully percent-encoded, with room to spare. */
export const MAX_PARAM_LENGTH = 1024;

const FASTIFY_CODES: Record<string, ApiError['code']> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
};

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: {
    requiredProperties?: string[];
    additionalProperties?: string[];
    allowedValue?: unknown;
    allowedValues?: unknown[];
  };
}

interface ValidationDetail {
  path: string;
  keyword?: string;
  message?: string;
  allowed?: unknown[];
}

const oneOf = (allowed: unknown[]) => `must be one of: ${allowed.map((a) => String(a)).join(', ')}`;

/**
 * One entry per failing path, e.g. `/body/owners`, so clients can point at the field. An enum (or a
 * union of literals) names its allowed values in the message and in `allowed`.
 */
export function validationDetails(context: string, issues: ValidationIssue[]) {
  const out: ValidationDetail[] = [];
  const literals = new Map<string, unknown[]>();
  for (const v of issues) {
    const base = `/${context}${v.instancePath ?? ''}`;
    const named = v.params?.requiredProperties ?? v.params?.additionalProperties;
    if (v.keyword === 'const' && v.params && 'allowedValue' in v.params) {
      literals.set(base, [...(literals.get(base) ?? []), v.params.allowedValue]);
    }
    if (named && named.length > 0)
      for (const n of named) out.push({ path: `${base}/${n}`, keyword: v.keyword, message: v.message });
    else if (v.keyword === 'enum' && v.params?.allowedValues)
      out.push({
        path: base,
        keyword: v.keyword,
        message: oneOf(v.params.allowedValues),
        allowed: v.params.allowedValues,
      });
    else if (v.keyword !== 'boolean') out.push({ path: base, keyword: v.keyword, message: v.message });
  }
  for (const d of out) {
    const allowed = d.keyword === 'anyOf' ? literals.get(d.path) : undefined;
    if (allowed) Object.assign(d, { message: oneOf(allowed), allowed });
  }
  // A union reports every branch (const, const, ..., anyOf): keep one entry per path.
  const unions = new Set(out.filter((d) => d.keyword === 'anyOf').map((d) => d.path));
  const seen = new Set<string>();
  return out.filter((d) => {
    if (unions.has(d.path) && d.keyword !== 'anyOf') return false;
    const k = `${d.path} ${d.keyword}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Arrays longer than this in an invalid body are reported as one error instead of itemised. */
export const MAX_ITEMISED_ARRAY = 1000;

/** The path of the first array longer than MAX_ITEMISED_ARRAY (iterative: bodies may nest 100k deep). */
function longArray(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (Array.isArray(v)) {
      if (v.length > MAX_ITEMISED_ARRAY) return path;
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${path}/${i}`]);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) stack.push([x, `${path}/${k}`]);
    }
  }
  return undefined;
}

/**
 * TypeBox's Errors() lists uniqueItems duplicates by copying an array per duplicate (quadratic):
 * one 1 MiB body of a repeated gate name (`disabled_gates`, `pii`) held the event loop for
 * minutes. An invalid body with a huge array is therefore rejected with one error at that
 * array's path before Errors() runs; valid bodies are unaffected.
 */
const boundedBodyValidator: typeof TypeBoxValidatorCompiler = (route) => {
  const inner = TypeBoxValidatorCompiler(route);
  if (route.httpPart !== 'body') return inner;
  const check = Compile(route.schema);
  return (value: unknown) => {
    if (check.Check(value)) return inner(value);
    const path = longArray(value);
    if (path === undefined) return inner(value);
    const message = `the body is invalid and has an array of more than ${MAX_ITEMISED_ARRAY} items here: errors not itemised`;
    return { error: [{ instancePath: path, keyword: 'maxItems', message, params: {}, schemaPath: '' }] };
  };
};

/** @param queryParams the operation's query parameters, named when an unknown one is refused */
export function toApiError(err: unknown, queryParams: string[] = []): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError & { validation?: ValidationIssue[] };
  if (e.validation) {
    const context = e.validationContext ?? 'body';
    const details = validationDetails(context, e.validation);
    const unknown = details.filter((d) => d.keyword === 'additionalProperties').map((d) => d.path.split('/').pop());
    if (context === 'querystring' && unknown.length > 0) {
      const known =
        queryParams.length > 0 ? `; this operation takes: ${queryParams.join(', ')}` : '; this operation takes none';
      return new ApiError(
        'UNKNOWN_QUERY_PARAMETER',
        `unknown query parameter(s): ${unknown.join(', ')}${known}`,
        details,
      );
    }
    return new ApiError('VALIDATION_FAILED', `request ${context} is invalid`, details);
  }
  if (err instanceof VersionConflictError) return new ApiError('PRECONDITION_FAILED', e.message);
  if (err instanceof StoreError) return new ApiError('STORE_FAILURE', 'the policy store failed');
  if (e.code === 'INVALID_CURSOR') return new ApiError('INVALID_CURSOR', e.message);
  const mapped = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return new ApiError(mapped, e.message);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('MALFORMED_REQUEST', e.message);
  }
  return new ApiError('INTERNAL', 'internal error');
}

/**
 * Errors of Node's HTTP parser (oversized request line + headers, a request that never finishes,
 * bad framing) happen before routing, so setErrorHandler never sees them: answer them on the raw
 * socket with the same error envelope and a stable code, then close the connection.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  const api =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError('HEADERS_TOO_LARGE', 'request line and headers exceed the server limit')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError('REQUEST_TIMEOUT', 'the request did not arrive in time')
        : new ApiError('MALFORMED_REQUEST', 'the HTTP request could not be parsed');
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(api.toBody());
  socket.end(
    `HTTP/1.1 ${api.status} ${STATUS_CODES[api.status]}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const untracked = (): IndexStatus => ({
  state: 'live',
  lag: null,
  last_error: null,
  attempts: 0,
  ever_connected: true,
  since: new Date(0).toISOString(),
});

export async function buildApp(deps: AppDeps): Promise<App> {
  registerAjvFormats();
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // fastify's default (100) is below the models' own limits (URN 256, contract id 300 characters,
    // each up to 3x longer percent-encoded): valid ids were refused with a bare 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Router-level rejections (a param beyond that, a bad %-escape) bypass setErrorHandler: give
    // them the error envelope and a stable code too.
    frameworkErrors: (err, _req, reply) => {
      (reply as FastifyReply).code(400).send(new ApiError('MALFORMED_REQUEST', err.message).toBody());
    },
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // The parser can answer 431 to any request (clientErrorHandler): every documented operation says so.
  // Under /v1 a query parameter the route does not declare is refused (400), never silently ignored.
  const known = new KnownPaths();
  app.addHook('onRoute', (route) => {
    known.add(route.method, route.url);
    const response = route.schema?.response as Record<number, unknown> | undefined;
    if (response && !(431 in response)) Object.assign(response, errorResponses(431));
    if (!route.url.startsWith('/v1/') || !route.schema) return;
    route.schema.querystring ??= Type.Object({}, { additionalProperties: false });
    const qs = route.schema.querystring as { additionalProperties?: boolean };
    qs.additionalProperties ??= false;
    if (response && !(400 in response)) Object.assign(response, errorResponses(400));
  });
  // fastify parses text/plain by default: such a body reached validation and answered 400, where
  // docs/errors.md promises 415 for anything but application/json.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(boundedBodyValidator);
  // Response schemas document the API; plain JSON.stringify serialises (nothing silently dropped).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(swagger, {
    openapi: {
      // 3.1: schemas are full JSON Schema, so the models' nullable fields (type null) stay valid.
      openapi: '3.1.0',
      info: {
        title: 'Signal Factory Gateway Control Plane',
        version: '1',
        description: 'Versioned policy API; errors are {error:{code,message,details?}} with codes in docs/errors.md',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });

  app.setErrorHandler((err, req, reply) => {
    const qs = req.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
    const api = toApiError(err, Object.keys(qs?.properties ?? {}));
    if (api.status >= 500) req.log.error({ err, code: api.code }, 'request failed');
    return reply.code(api.status).send(api.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allow = known.allowed(path);
    if (allow.length > 0) {
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .send(
          new ApiError(
            'METHOD_NOT_ALLOWED',
            `${req.method} is not allowed on ${path}; allowed: ${allow.join(', ')}`,
          ).toBody(),
        );
    }
    return reply.code(404).send(new ApiError('NOT_FOUND', `no route ${req.method} ${path}`).toBody());
  });

  const registry = installMetrics(app, deps.registry);
  const evidenceStatus =
    deps.evidenceStatus ?? (deps.evidence ? untracked : () => disabledStatus('SF_EVIDENCE_INDEX=off'));
  installIndexMetrics(registry, evidenceStatus);
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/v1/')) setPrincipal(req, await deps.auth.verify(req.headers.authorization));
  });

  const feed = new SnapshotFeed(deps.store);
  datasetRoutes(app, deps.store, deps.schemas);
  contractRoutes(app, deps.store);
  opsRoutes(app, deps.store);
  feedRoutes(app, deps.store, feed);
  evidenceRoutes(app, deps.evidence, evidenceStatus);
  signalsRoutes(
    app,
    deps.store,
    deps.signals ?? { view: new SignalsView(), staleAfterSec: 60, disabledReason: 'no signals view configured' },
  );
  systemRoutes(app, deps.store, registry, evidenceStatus);
  await app.ready();
  return app;
}
