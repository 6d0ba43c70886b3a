/**
 * A tiny typed client for the change feed (the enforcer's import) and for the JSON API
 * (`signal-factory apply`). undici, no retries: callers own their polling cadence.
 */
import { request } from 'undici';
import type { PolicySnapshot } from '../models/index.js';

export type SnapshotResult = { status: 304 } | { status: 200; etag: string; body: PolicySnapshot };

export class ControlPlaneHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

async function failure(statusCode: number, text: string): Promise<ControlPlaneHttpError> {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } }).error;
    if (e) return new ControlPlaneHttpError(statusCode, e.code, `${statusCode} ${e.code}: ${e.message}`, e.details);
  } catch {
    // not our error envelope (a proxy, say): fall through with the raw text
  }
  return new ControlPlaneHttpError(statusCode, undefined, `${statusCode}: ${text.slice(0, 200)}`);
}

/** GET /v1/snapshot; pass the last ETag to get a cheap 304 while nothing changed. */
export async function fetchSnapshot(url: string, token: string, etag?: string): Promise<SnapshotResult> {
  const res = await request(new URL('/v1/snapshot', url), {
    headers: { authorization: `Bearer ${token}`, ...(etag ? { 'if-none-match': etag } : {}) },
    headersTimeout: 5000,
    bodyTimeout: 10_000,
  });
  if (res.statusCode === 304) {
    await res.body.dump();
    return { status: 304 };
  }
  if (res.statusCode !== 200) throw await failure(res.statusCode, await res.body.text());
  return { status: 200, etag: String(res.headers.etag), body: (await res.body.json()) as PolicySnapshot };
}

export interface ApiResponse<T> {
  status: number;
  etag: string | undefined;
  body: T;
}

/** One JSON call; 404 is returned (not thrown) so callers can tell "absent" from failure. */
export async function callApi<T>(
  base: string,
  token: string,
  method: 'GET' | 'PUT',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T | undefined>> {
  const res = await request(new URL(path, base), {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode === 404) return { status: 404, etag: undefined, body: undefined };
  if (res.statusCode >= 400) throw await failure(res.statusCode, text);
  const etag = res.headers.etag === undefined ? undefined : String(res.headers.etag);
  return { status: res.statusCode, etag, body: text ? (JSON.parse(text) as T) : undefined };
}
