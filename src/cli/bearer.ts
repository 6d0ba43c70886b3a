/** The bearer token of a CLI command that calls the control plane (apply, replay). */
import { userInfo } from 'node:os';
import { ConfigError } from '../common/config.js';
import { mintDevToken } from '../common/dev-token.js';
import { authConfigFromEnv } from '../control-plane/auth.js';

/** Given, or (development) a 10-minute admin token minted with SF_AUTH_JWT_SECRET, sub `<command>:<user>`. */
export async function bearer(given: string | undefined, command: string): Promise<string> {
  if (given) return given;
  const auth = authConfigFromEnv();
  if (!auth.secret) {
    throw new ConfigError('set SF_CONTROL_PLANE_TOKEN or --token (or SF_AUTH_JWT_SECRET in development)');
  }
  return mintDevToken(
    auth.secret,
    { sub: `${command}:${userInfo().username}`, teams: [], roles: ['admin'] },
    { issuer: auth.issuer, audience: auth.audience, expiresIn: '10m' },
  );
}
