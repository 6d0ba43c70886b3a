/**
 * Bearer JWT verification (jose): a JWKS URL in production, an HS256 shared secret in
 * development. Claims: `sub` principal, `teams` array, `roles` array.
 */
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ConfigError } from '../common/config.js';
import { assertDevSecret } from '../common/dev-token.js';
import { ApiError } from './errors.js';

export interface Principal {
  sub: string;
  teams: string[];
  roles: string[];
}

export interface Authenticator {
  readonly mode: 'jwks' | 'hs256';
  verify(authorization: string | undefined): Promise<Principal>;
}

export interface AuthConfig {
  jwksUrl?: string;
  secret?: string;
  issuer?: string;
  audience?: string;
}

export function authConfigFromEnv(): AuthConfig {
  const v = (n: string) => process.env[n] || undefined;
  return {
    jwksUrl: v('SF_AUTH_JWKS_URL'),
    secret: v('SF_AUTH_JWT_SECRET'),
    issuer: v('SF_AUTH_ISSUER'),
    audience: v('SF_AUTH_AUDIENCE'),
  };
}

const stringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function principalOf(payload: JWTPayload): Principal {
  const teams = payload.teams ?? [];
  const roles = payload.roles ?? [];
  // jose checks sub's presence only on request, never its type: a numeric or object sub would
  // become the audit log's actor.
  if (typeof payload.sub !== 'string' || payload.sub === '' || !stringArray(teams) || !stringArray(roles)) {
    throw new ApiError('UNAUTHENTICATED', 'token claims invalid: need sub, teams[] and roles[]');
  }
  return { sub: payload.sub, teams, roles };
}

/** JWKS wins when both are configured: a shared secret must never be accepted in production. */
export function createAuthenticator(cfg: AuthConfig): Authenticator {
  // A token without exp would be valid forever (there is no revocation list): refuse it.
  const opts = { issuer: cfg.issuer, audience: cfg.audience, requiredClaims: ['exp'] };
  let key: JWTVerifyGetKey | Uint8Array;
  let algorithms: string[] | undefined;
  let mode: Authenticator['mode'];
  if (cfg.jwksUrl) {
    key = createRemoteJWKSet(new URL(cfg.jwksUrl));
    mode = 'jwks';
  } else if (cfg.secret) {
    assertDevSecret(cfg.secret);
    key = new TextEncoder().encode(cfg.secret);
    algorithms = ['HS256'];
    mode = 'hs256';
  } else {
    throw new ConfigError('set SF_AUTH_JWKS_URL (production) or SF_AUTH_JWT_SECRET (development)');
  }
  return {
    mode,
    async verify(authorization) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!m) throw new ApiError('UNAUTHENTICATED', 'missing Authorization: Bearer <token>');
      try {
        const { payload } =
          key instanceof Uint8Array
            ? await jwtVerify(m[1], key, { ...opts, algorithms })
            : await jwtVerify(m[1], key, opts);
        return principalOf(payload);
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError('UNAUTHENTICATED', `token rejected: ${(err as { code?: string }).code ?? 'invalid'}`);
      }
    },
  };
}
