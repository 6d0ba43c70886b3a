/**
 * The console's only data path: the public /v1 API with the user's token. Every call resolves to
 * a result (never throws), so a page can say exactly what is missing: an endpoint this control
 * plane does not have (404 NOT_FOUND: "not available"), a dependency that is down (503), or a
 * refusal (401/403/4xx with the server's code and message).
 */
import { sessionTokens, type TokenSource } from './auth.js';

export type Ok<T> = { ok: true; status: number; body: T; headers: Headers };
export type Failed = {
  ok: false;
  status: number;
  code: string;
  message: string;
  /** The route does not exist on this control plane (an older version or a component not deployed). */
  missing: boolean;
};
export type Result<T> = Ok<T> | Failed;

let tokens: TokenSource = sessionTokens;
export const useTokenSource = (s: TokenSource) => {
  tokens = s;
};

/** Called on 401 so the shell can show the login form. */
let onUnauthenticated: () => void = () => {};
export const whenUnauthenticated = (fn: () => void) => {
  onUnauthenticated = fn;
};

export async function call<T>(
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Result<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const t = tokens.token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (err) {
    return { ok: false, status: 0, code: 'NETWORK', message: `control plane unreachable: ${err}`, missing: false };
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (res.ok) return { ok: true, status: res.status, body: parsed as T, headers: res.headers };
  const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = err?.code ?? `HTTP_${res.status}`;
  if (res.status === 401) onUnauthenticated();
  return {
    ok: false,
    status: res.status,
    code,
    message: err?.message ?? (res.statusText || `HTTP ${res.status}`),
    missing: res.status === 404 && code === 'NOT_FOUND',
  };
}

export const get = <T>(path: string) => call<T>('GET', path);

export const enc = encodeURIComponent;

/** A query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Runs fn over items with at most `limit` calls in flight (health of a page of datasets). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
