/**
 * `signal-factory control-plane`: the Gateway Control Plane (REST).
 * `signal-factory control-plane token --sub x --teams a,b --roles admin`: mint a development token.
 */
import { ConfigError } from '../common/config.js';
import { mintDevToken } from '../common/dev-token.js';
import { runService } from '../common/lifecycle.js';
import { createLogger } from '../common/logger.js';
import { authConfigFromEnv } from '../control-plane/auth.js';
import { controlPlaneConfig } from '../control-plane/config.js';
import { type RunningControlPlane, startControlPlane } from '../control-plane/server.js';
import { parseCommandArgs, UsageError } from './args.js';

const HELP = `Usage: signal-factory control-plane [--port <n>]
       signal-factory control-plane token --sub <principal> [--teams a,b] [--roles admin,service] [--expires 12h]

Runs the Gateway Control Plane REST API (docs/api.md). Options and their variables:
  --port <n>        SF_HTTP_PORT [8080]
  SF_POLICY_STORE   sqlite:<path> [sqlite:.data/control-plane.db] or dynamodb:<table-prefix>
  SF_AUTH_JWKS_URL, SF_AUTH_ISSUER, SF_AUTH_AUDIENCE   production token verification
  SF_AUTH_JWT_SECRET                                   development HS256 secret
  SF_EVIDENCE_INDEX auto|on|off [auto: on when SF_KAFKA_BROKERS is set]
  SF_SCHEMA_CHECK auto|glue|off [auto: glue when SF_GLUE_REGISTRY or SF_AWS_ENDPOINT is set]; see docs/api.md for all.
  SF_STARTUP_TIMEOUT_MS [60000], SF_SHUTDOWN_DEADLINE_MS [30000]: bounded start-up and stop.

'token' prints an HS256 token signed with SF_AUTH_JWT_SECRET (development only).
`;

async function token(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    sub: { type: 'string' },
    teams: { type: 'string', default: '' },
    roles: { type: 'string', default: '' },
    expires: { type: 'string', default: '12h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.sub) throw new UsageError('token needs --sub <principal>');
  // The same rules as the server's auth config: a token it would refuse is never printed.
  const auth = authConfigFromEnv();
  if (auth.jwksUrl) {
    throw new ConfigError(
      'SF_AUTH_JWKS_URL is set, so the control plane verifies JWKS-signed tokens and would refuse a development token',
    );
  }
  const secret = auth.secret;
  if (!secret) throw new ConfigError('token needs SF_AUTH_JWT_SECRET (the secret the control plane verifies with)');
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  let jwt: string;
  try {
    jwt = await mintDevToken(
      secret,
      { sub: values.sub, teams: list(values.teams), roles: list(values.roles) },
      { issuer: auth.issuer, audience: auth.audience, expiresIn: values.expires },
    );
  } catch (err) {
    // jose refuses a malformed duration with a TypeError; the secret check throws ConfigError.
    if (!(err instanceof TypeError)) throw err;
    throw new UsageError(`--expires must be a duration such as 30m, 12h or 7d; got "${values.expires}"`);
  }
  process.stdout.write(`${jwt}\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'token') return token(argv.slice(1));
  const { values } = parseCommandArgs(argv, { port: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.port !== undefined) process.env.SF_HTTP_PORT = values.port;
  const cfg = controlPlaneConfig();
  const log = createLogger('control-plane', cfg.logLevel);
  let starting: Promise<RunningControlPlane> | undefined;
  return runService(
    {
      start: async () => {
        starting = startControlPlane(cfg);
        await starting;
      },
      // After an aborted start, close what it opens within a moment; the forced exit covers the rest.
      stop: async () => {
        const settled = starting?.catch(() => undefined);
        const cp = await Promise.race([
          settled,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000).unref()),
        ]);
        await cp?.close();
      },
      phase: () => `opening the policy store (${cfg.policyStore}) and listening on ${cfg.host}:${cfg.port}`,
      failure: new Promise<Error>(() => {}),
    },
    { log, startupTimeoutMs: cfg.startupTimeoutMs, shutdownDeadlineMs: cfg.shutdownDeadlineMs },
  );
}
