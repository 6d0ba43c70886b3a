/**
 * `signal-factory <command>`: the one entry point (INTERFACE.md). Each command lives in
 * its own module and is loaded lazily so `validate` never pays for Kafka or AWS imports.
 */
import { trapEarlySignals } from '../common/lifecycle.js';

const COMMANDS: Record<
  string,
  { summary: string; service?: boolean; load: () => Promise<{ run(argv: string[]): Promise<number> }> }
> = {
  'control-plane': {
    summary: 'run the Gateway Control Plane (REST)',
    service: true,
    load: () => import('./control-plane.js'),
  },
  enforcer: { summary: 'run the Policy Enforcer', service: true, load: () => import('./enforcer.js') },
  demo: { summary: 'the steel-thread demo (design section 12), end to end', load: () => import('./demo.js') },
  validate: { summary: 'run the gate pipeline over NDJSON records, no Kafka', load: () => import('./validate.js') },
  apply: { summary: 'policy-as-code: apply a file or directory through the API', load: () => import('./apply.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: signal-factory <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'signal-factory <command> --help' for a command's options.\n`;
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    process.exitCode = name ? 0 : 2;
    return;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`signal-factory: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  if (cmd.service) trapEarlySignals();
  try {
    const code = await (await cmd.load()).run(rest);
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`signal-factory ${name}: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
    process.exitCode = e.code === 'CONFIG_INVALID' || e.code === 'USAGE' ? 2 : 1;
  }
}
