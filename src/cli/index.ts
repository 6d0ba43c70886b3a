/**
 * `signal-factory <command>`: the one entry point (INTERFACE.md). Each command lives in
 * its own module and is loaded lazily so `validate` never pays for Kafka or AWS imports.
 * Exit codes everywhere: 0 success, 1 a verdict or operation failed, 2 a usage or
 * configuration error, printed as `signal-factory <command>: [CODE] message` on stderr.
 */
import { readFileSync } from 'node:fs';
import { trapEarlySignals } from '../common/lifecycle.js';
import { didYouMean, isUsageOrConfig, USAGE_EXIT, UsageError } from './args.js';

const COMMANDS: Record<
  string,
  { summary: string; service?: boolean; load: () => Promise<{ run(argv: string[]): Promise<number> }> }
> = {
  'control-plane': {
    summary: 'run the Gateway Control Plane (REST); `control-plane token` mints a dev token',
    service: true,
    load: () => import('./control-plane.js'),
  },
  enforcer: { summary: 'run the Policy Enforcer', service: true, load: () => import('./enforcer.js') },
  demo: { summary: 'the steel-thread demo (design section 12), end to end', load: () => import('./demo.js') },
  validate: { summary: 'run the gate pipeline over NDJSON records, no Kafka', load: () => import('./validate.js') },
  apply: { summary: 'policy-as-code: apply a file or directory through the API', load: () => import('./apply.js') },
  signals: {
    summary: 'run the Signal Engine (health and incidents from evidence)',
    service: true,
    load: () => import('./signals.js'),
  },
};
const NAMES = [...Object.keys(COMMANDS), 'help'];

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return [
    'Usage: signal-factory <command> [options]',
    '',
    'Commands:',
    ...lines,
    `  ${'help'.padEnd(14)} this list; 'help <command>' prints a command's options`,
    '',
    "Run 'signal-factory <command> --help' for a command's options and variables; --version prints the version.",
    'Exit codes: 0 success, 1 a verdict or operation failed, 2 a usage or configuration error.',
    '',
  ].join('\n');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `[CODE] message` on stderr; usage and configuration errors exit 2, everything else 1. */
function fail(command: string | undefined, err: unknown): number {
  const e = err as Error & { code?: unknown };
  const code = typeof e?.code === 'string' ? `[${e.code}] ` : '';
  const where = command ? `signal-factory ${command}` : 'signal-factory';
  const hint =
    e instanceof UsageError ? `\nRun 'signal-factory ${command ? `${command} --help` : 'help'}' for usage.` : '';
  process.stderr.write(`${where}: ${code}${e?.message ?? String(err)}${hint}\n`);
  return isUsageOrConfig(err) ? USAGE_EXIT : 1;
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(usage());
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (name === 'help') return main([rest[0], '--help']);
  if (name === undefined) {
    process.exitCode = fail(undefined, new UsageError('a command is required'));
    return;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
    process.exitCode = fail(undefined, new UsageError(`${what}${didYouMean(name, NAMES, (s) => `"${s}"`)}`));
    return;
  }
  if (cmd.service) trapEarlySignals();
  try {
    const code = await (await cmd.load()).run(rest);
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    process.exitCode = fail(name, err);
  }
}
