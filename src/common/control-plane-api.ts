/**
 * The one client of the control plane's REST API (docs/api.md): the enforcer's change feed,
 * `signal-factory apply`, the demo and the tests. undici, no retries: callers own their cadence.
 *
 * A failure is a ControlPlaneHttpError whose `code` is the server's error code when the answer
 * carries our error envelope (`{"error":{"code","message"}}`). Anything else (a proxy's 404, an
 * HTML page, a refused connection) gets a client-side code, so a server that is not the control
 * plane can never pass for "absent" or "applied".
 */
import { request } from 'undici';
import type { PolicySnapshot } from '../models/index.js';

/** Codes this client assigns when the server's own code is not available. */
export type ClientErrorCode = 'UNREACHABLE' | 'NOT_CONTROL_PLANE';

export class ControlPlaneHttpError extends Error {
  constructor(
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    /** The server's error code, or a ClientErrorCode. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** An answer as received, whatever its status. `body` is parsed JSON, or the text when not JSON. */
export interface RawResponse {
  status: number;
  etag: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface ApiResponse<T> {
  status: number;
  etag: string | undefined;
  body: T;
}

interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

function isEnvelope(v: unknown): v is ErrorEnvelope {
  const e = (v as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof e?.code === 'string' && typeof e.message === 'string';
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** Milliseconds to wait for the answer's headers [10000]. */
  headersTimeout?: number;
}

/** One call; never throws for an HTTP status (only for no answer at all: UNREACHABLE). */
export async function rawCall(
  base: string,
  token: string | undefined,
  method: Method,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<RawResponse> {
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(new URL(path, base), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...opts.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: opts.headersTimeout ?? 10_000,
      bodyTimeout: 10_000,
    });
  } catch (err) {
    throw new ControlPlaneHttpError(0, 'UNREACHABLE', `cannot reach ${base}: ${(err as Error).message}`);
  }
  const text = await res.body.text();
  let parsed: unknown = text === '' ? undefined : text;
  if (text !== '' && String(res.headers['content-type'] ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text: the caller decides whether a non-JSON answer is a failure
    }
  }
  return {
    status: res.statusCode,
    etag: res.headers.etag === undefined ? undefined : String(res.headers.etag),
    headers: res.headers,
    body: parsed,
  };
}

/** The error a non-2xx answer stands for. */
export function failureOf(base: string, r: RawResponse): ControlPlaneHttpError {
  if (isEnvelope(r.body)) {
    const e = r.body.error;
    return new ControlPlaneHttpError(r.status, e.code, e.message, e.details);
  }
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? '');
  return new ControlPlaneHttpError(
    r.status,
    'NOT_CONTROL_PLANE',
    `HTTP ${r.status} from ${base} without the control plane's error envelope (is it the control plane?)${text ? `: ${text.slice(0, 120)}` : ''}`,
  );
}

/** One JSON call; any non-2xx, or a 2xx whose body is not JSON, throws ControlPlaneHttpError. */
export async function callApi<T>(
  base: string,
  token: string | undefined,
  method: Method,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<ApiResponse<T>> {
  return callApiResult<T>(base, await rawCall(base, token, method, path, body, opts));
}

/** A 2xx with a JSON body, or the ControlPlaneHttpError the answer stands for. */
function callApiResult<T>(base: string, r: RawResponse): ApiResponse<T> {
  if (r.status < 200 || r.status > 299) throw failureOf(base, r);
  if (typeof r.body === 'string') {
    throw new ControlPlaneHttpError(
      r.status,
      'NOT_CONTROL_PLANE',
      `HTTP ${r.status} from ${base} is not JSON (is it the control plane?): ${r.body.slice(0, 120)}`,
    );
  }
  return { status: r.status, etag: r.etag, body: r.body as T };
}

/**
 * GET of an entity that may not exist: undefined only for the control plane's own 404 (its
 * error envelope); every other failure throws.
 */
export async function getIfExists<T>(
  base: string,
  token: string | undefined,
  path: string,
): Promise<ApiResponse<T> | undefined> {
  try {
    return await callApi<T>(base, token, 'GET', path);
  } catch (err) {
    if (err instanceof ControlPlaneHttpError && err.status === 404 && err.code !== 'NOT_CONTROL_PLANE')
      return undefined;
    throw err;
  }
}

export type SnapshotResult = { status: 304 } | { status: 200; etag: string; body: PolicySnapshot };

/** GET /v1/snapshot (the change feed); pass the last ETag to get a cheap 304 while nothing changed. */
export async function fetchSnapshot(
  url: string,
  token: string | undefined,
  etag?: string,
  extraHeaders: Record<string, string> = {},
): Promise<SnapshotResult> {
  const r = await rawCall(url, token, 'GET', '/v1/snapshot', undefined, {
    headers: { ...(etag ? { 'if-none-match': etag } : {}), ...extraHeaders },
    headersTimeout: 5000,
  });
  if (r.status === 304) return { status: 304 };
  const res = await callApiResult<PolicySnapshot>(url, r);
  return { status: 200, etag: String(res.etag), body: res.body };
}
