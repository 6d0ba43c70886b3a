/**
 * Development tokens: HS256 JWTs signed with the shared secret `SF_AUTH_JWT_SECRET`. One home
 * for the rule a secret must meet (the control plane's verifier and `control-plane token`
 * both apply it) and for minting (the token command, `apply`, the enforcer, the demo, tests).
 * Production verifies JWKS-signed tokens instead (src/control-plane/auth.ts).
 */
import { SignJWT } from 'jose';
import { ConfigError } from './config.js';

/** The claims the control plane reads (INTERFACE.md): principal, team names, roles. */
export interface TokenClaims {
  sub: string;
  teams: string[];
  roles: string[];
}

/** HS256 needs a key at least as long as its 256-bit output to be worth anything; 16 characters is our floor. */
export const MIN_DEV_SECRET_LENGTH = 16;

/** Throws the ConfigError the control plane would raise at start for this secret. */
export function assertDevSecret(secret: string): void {
  if (secret.length < MIN_DEV_SECRET_LENGTH) {
    throw new ConfigError(`SF_AUTH_JWT_SECRET must be at least ${MIN_DEV_SECRET_LENGTH} characters`);
  }
}

/** Mints an HS256 development token; refuses a secret the control plane would refuse. */
export async function mintDevToken(
  secret: string,
  p: TokenClaims,
  opts: { issuer?: string; audience?: string; expiresIn?: string } = {},
): Promise<string> {
  assertDevSecret(secret);
  let jwt = new SignJWT({ teams: p.teams, roles: p.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.sub)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '12h');
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
