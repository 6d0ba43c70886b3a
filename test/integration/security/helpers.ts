/**
 * Security-suite fixtures: an HTTP client that sends exactly what it is given (raw paths, any
 * content type, any Authorization), a real JWKS endpoint on node:http with generated keys, and
 * token builders for the attacks in the matrix. Control plane processes and in-process apps come
 * from the shared helpers (test/helpers/stack.ts, test/integration/control-plane/helpers.ts).
 */
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { TestContext } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { Json, Res } from '../control-plane/helpers.js';

export type { Json, Res };

/** One request through node:http: the path goes out byte for byte (no URL normalisation). */
export function send(
  base: string,
  method: string,
  path: string,
  opts: {
    token?: string;
    authorization?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    /** send the body with Transfer-Encoding: chunked (no Content-Length) in 64 KiB pieces */
    chunked?: boolean;
  } = {},
): Promise<Res & { text: string; ms: number }> {
  const u = new URL(base);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  if (opts.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method, path, headers, timeout: 30_000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Json = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: h, body, text, ms: performance.now() - started });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    if (opts.chunked && opts.body !== undefined) {
      const b = Buffer.from(opts.body);
      for (let i = 0; i < b.length; i += 65536) req.write(b.subarray(i, i + 65536));
      req.end();
    } else req.end(opts.body);
  });
}

/** `Bearer`-less JSON client bound to a base URL (same shape as the control-plane helpers' call). */
export function client(base: string) {
  return (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) =>
    send(base, method, path, {
      token,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
}

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface Jwks {
  url: string;
  rsa: SigningKey;
  ec: SigningKey;
  /** How many times the control plane fetched the key set. */
  fetches(): number;
}

/** A real JWKS endpoint (RSA and EC public keys) on 127.0.0.1, closed by the test context. */
export async function startJwks(t: TestContext): Promise<Jwks> {
  const rsa = await signingKey('rsa-1', 'RS256');
  const ec = await signingKey('ec-1', 'ES256');
  const body = JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] });
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, rsa, ec, fetches: () => fetches };
}

export interface Claims {
  sub?: unknown;
  teams?: unknown;
  roles?: unknown;
  iss?: string;
  aud?: string;
  /** seconds from now; null leaves the claim out */
  exp?: number | null;
  nbf?: number;
}

const now = () => Math.floor(Date.now() / 1000);

/** A signed token with exactly these claims (defaults: valid for 10 minutes, no team, no role). */
export async function sign(
  key: { alg: string; kid?: string; privateKey: CryptoKey | Uint8Array },
  c: Claims,
): Promise<string> {
  const payload: Record<string, unknown> = { teams: c.teams ?? [], roles: c.roles ?? [], iat: now() };
  if (c.sub !== undefined) payload.sub = c.sub;
  if (c.iss !== undefined) payload.iss = c.iss;
  if (c.aud !== undefined) payload.aud = c.aud;
  if (c.exp !== null) payload.exp = now() + (c.exp ?? 600);
  if (c.nbf !== undefined) payload.nbf = now() + c.nbf;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, ...(key.kid ? { kid: key.kid } : {}) })
    .sign(key.privateKey);
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsecured JWT (`alg: none`, empty signature), optionally with a kid that exists in the JWKS. */
export function unsecured(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  return `${b64url({ alg: 'none', typ: 'JWT', ...header })}.${b64url({ iat: now(), exp: now() + 600, ...claims })}.`;
}

/** The token with its payload replaced and the original signature kept. */
export function tamper(token: string, claims: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return `${h}.${b64url({ ...payload, ...claims })}.${s}`;
}

export const secretKey = (secret: string) => ({ alg: 'HS256', privateKey: new TextEncoder().encode(secret) });

/** Counts outcomes by status for t.diagnostic. */
export function tally(statuses: number[]): string {
  const m = new Map<number, number>();
  for (const s of statuses) m.set(s, (m.get(s) ?? 0) + 1);
  return [...m.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}x${n}`)
    .join(' ');
}
