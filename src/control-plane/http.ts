/** Small helpers shared by the route modules. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Principal } from './auth.js';
import type { Decision } from './authz.js';
import { ApiError, ERROR_STATUS, type ErrorCode } from './errors.js';
import { ErrorResponse } from './schemas.js';
import { etag } from './validation.js';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(req: FastifyRequest, p: Principal): void {
  principals.set(req, p);
}

/** The verified caller; every /v1 route runs after the auth hook. */
export function principal(req: FastifyRequest): Principal {
  const p = principals.get(req);
  if (!p) throw new ApiError('UNAUTHENTICATED', 'no verified principal');
  return p;
}

export function enforce(d: Decision): void {
  if (!d.ok) throw new ApiError('FORBIDDEN', d.reason);
}

export function withEtag(reply: FastifyReply, version: number): FastifyReply {
  return reply.header('etag', etag(version));
}

const DESCRIPTIONS: Record<number, string> = {
  304: 'Not modified (If-None-Match matched)',
  400: 'Malformed request or schema violation (details carry the failing paths)',
  401: 'Missing or invalid bearer token',
  403: 'The principal may not manage this resource',
  404: 'Not found',
  405: 'Method not allowed on this path (the Allow header lists the methods)',
  409: 'Conflict',
  412: 'If-Match does not match the current version',
  408: 'The request did not arrive in time',
  413: 'The body exceeds the size limit',
  415: 'Unsupported media type',
  422: 'Valid shape, logical error',
  431: 'Request line and headers too large (a long query string counts)',
  500: 'The store failed',
  503: 'A dependency is unavailable',
};

/** OpenAPI response entries for the listed error statuses, with the codes each can carry. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((s) => {
      const codes = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => ERROR_STATUS[c] === s);
      return [s, { ...ErrorResponse, description: `${DESCRIPTIONS[s] ?? 'Error'}; codes: ${codes.join(', ')}` }];
    }),
  );
}

export const BEARER = [{ bearer: [] }];

/** The OpenAPI entry of a 204 answer (no body). */
export const NO_CONTENT = { 204: { description: 'Deleted (no body)', type: 'null' } };
