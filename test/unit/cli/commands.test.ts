/**
 * The `signal-factory` bin as users run it: every usage or configuration error of every command
 * exits 2 with `signal-factory <command>: [CODE] message` on stderr; --version, help, --help.
 * None of these reach Kafka, AWS or a control plane.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const SECRET = 'unit-test-secret-0123456789';

function sf(args: string[], env: Record<string, string | undefined> = {}) {
  const clean: Record<string, string | undefined> = {
    ...process.env,
    SF_AUTH_JWT_SECRET: undefined,
    SF_AUTH_JWKS_URL: undefined,
    SF_CONTROL_PLANE_TOKEN: undefined,
    ...env,
  };
  for (const k of Object.keys(clean)) if (clean[k] === undefined) delete clean[k];
  return spawnSync(process.execPath, ['bin/signal-factory.js', ...args], {
    cwd: root,
    env: clean as NodeJS.ProcessEnv,
    encoding: 'utf8',
    input: '',
    timeout: 20_000,
  });
}

test('--version prints the package version; help and --help print the command list', () => {
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  const v = sf(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout, `${version}\n`);
  for (const args of [['help'], ['--help']]) {
    const r = sf(args);
    assert.equal(r.status, 0);
    for (const c of ['control-plane', 'enforcer', 'demo', 'validate', 'apply', 'replay'])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  }
});

test('--help on each command prints its options; help <command> does the same', () => {
  const expected: Record<string, string[]> = {
    'control-plane': ['--port', 'token', '--sub', '--expires'],
    enforcer: ['SF_ENFORCER_TOPICS', 'SF_KAFKA_BROKERS'],
    demo: ['Usage: signal-factory demo'],
    validate: ['--policy', '--schema', '--contract', '--topic'],
    apply: ['--file', '--dry-run', '--url', '--token'],
    replay: ['--dataset', '--since', '--until', '--reason', '--to-topic', '--dry-run', 'SF_QUARANTINE_URI'],
  };
  for (const [command, words] of Object.entries(expected)) {
    for (const args of [
      [command, '--help'],
      ['help', command],
    ]) {
      const r = sf(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      for (const w of words) assert.ok(r.stdout.includes(w), `${args.join(' ')} mentions ${w}`);
    }
  }
});

test('every usage or configuration error: exit 2, one shape, a useful message', () => {
  const cases: Array<[string[], RegExp, Record<string, string | undefined>?]> = [
    [[], /^signal-factory: \[USAGE\] a command is required\n/],
    [['valdate'], /^signal-factory: \[USAGE\] unknown command "valdate"; did you mean "validate"\?\n/],
    [['--bogus'], /^signal-factory: \[USAGE\] unknown option --bogus\n/],
    [['help', 'nope'], /^signal-factory: \[USAGE\] unknown command "nope"/],
    [['enforcer', '--bogus'], /^signal-factory enforcer: \[USAGE\] unknown option --bogus\n/],
    [['control-plane', '--bogus'], /^signal-factory control-plane: \[USAGE\] unknown option --bogus\n/],
    [
      ['control-plane', '--port'],
      /^signal-factory control-plane: \[USAGE\] Option '--port <value>' argument missing\n/,
    ],
    [['demo', '--bogus'], /^signal-factory demo: \[USAGE\] unknown option --bogus\n/],
    [['apply', '--bogus'], /^signal-factory apply: \[USAGE\] unknown option --bogus\n/],
    [['apply'], /^signal-factory apply: \[USAGE\] -f <file\|dir> is required\n/],
    [
      ['apply', '-f', 'examples/orders', '--dryrun'],
      /^signal-factory apply: \[USAGE\] unknown option --dryrun; did you mean --dry-run\?/,
    ],
    [
      ['apply', '-f', 'examples/orders'],
      /^signal-factory apply: \[CONFIG_INVALID\] SF_APPLY_DRY_RUN must be one of 1, true, 0, false; got "yes"\n/,
      { SF_APPLY_DRY_RUN: 'yes' },
    ],
    [
      ['apply', '-f', 'examples/orders'],
      /\[CONFIG_INVALID\] set SF_CONTROL_PLANE_TOKEN or --token \(or SF_AUTH_JWT_SECRET in development\)\n/,
    ],
    [['apply', '-f', 'no/such/dir'], /^signal-factory apply: \[CONFIG_INVALID\] cannot read no\/such\/dir: /],
    [['validate', '--bogus'], /^signal-factory validate: \[USAGE\] unknown option --bogus\n/],
    [['validate'], /^signal-factory validate: \[USAGE\] --policy <file> is required\n/],
    [
      ['validate', '--policy', 'missing.yaml'],
      /^signal-factory validate: \[CONFIG_INVALID\] cannot read missing.yaml: /,
    ],
    [
      ['enforcer'],
      /^signal-factory enforcer: \[CONFIG_INVALID\] SF_ENFORCER_TOPICS is required/,
      { SF_ENFORCER_TOPICS: undefined },
    ],
    [
      ['control-plane'],
      /^signal-factory control-plane: \[CONFIG_INVALID\] SF_SCHEMA_CHECK must be .+, got "x"\n/,
      { SF_SCHEMA_CHECK: 'x' },
    ],
    [
      ['demo'],
      /^signal-factory demo: \[CONFIG_INVALID\] SF_AUTH_JWT_SECRET is not set/,
      { SF_AUTH_JWT_SECRET: undefined },
    ],
    [
      ['demo'],
      /^signal-factory demo: \[CONFIG_INVALID\] SF_DEMO_KEEP must be one of 1, true, 0, false; got "yes"\n/,
      { SF_DEMO_KEEP: 'yes' },
    ],
    [['control-plane', 'token', '--bogus'], /^signal-factory control-plane: \[USAGE\] unknown option --bogus\n/],
    [['control-plane', 'token'], /^signal-factory control-plane: \[USAGE\] token needs --sub <principal>\n/],
    [['control-plane', 'token', '--sub', 'x'], /\[CONFIG_INVALID\] token needs SF_AUTH_JWT_SECRET/],
    [
      ['control-plane', 'token', '--sub', 'x', '--expires', 'soon'],
      /\[USAGE\] --expires must be a duration such as 30m, 12h or 7d; got "soon"\n/,
      { SF_AUTH_JWT_SECRET: SECRET },
    ],
  ];
  for (const [args, stderr, env] of cases) {
    const r = sf(args, env);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, stderr, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`);
  }
});

test('control-plane token refuses what the control plane would refuse, and mints what it accepts', () => {
  const short = sf(['control-plane', 'token', '--sub', 'x'], { SF_AUTH_JWT_SECRET: 'short' });
  assert.equal(short.status, 2);
  assert.match(
    short.stderr,
    /^signal-factory control-plane: \[CONFIG_INVALID\] SF_AUTH_JWT_SECRET must be at least 16 characters\n/,
  );
  assert.equal(short.stdout, '');
  const jwks = sf(['control-plane', 'token', '--sub', 'x'], {
    SF_AUTH_JWT_SECRET: SECRET,
    SF_AUTH_JWKS_URL: 'https://idp.example/jwks.json',
  });
  assert.equal(jwks.status, 2);
  assert.match(jwks.stderr, /\[CONFIG_INVALID\] SF_AUTH_JWKS_URL is set/);
  const ok = sf(['control-plane', 'token', '--sub', 'x', '--roles', 'admin'], { SF_AUTH_JWT_SECRET: SECRET });
  assert.equal(ok.status, 0, ok.stderr);
  const claims = JSON.parse(Buffer.from(ok.stdout.trim().split('.')[1], 'base64url').toString('utf8'));
  assert.deepEqual([claims.sub, claims.roles, claims.teams], ['x', ['admin'], []]);
});
