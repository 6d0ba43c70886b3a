/**
 * `signal-factory apply -f <file|dir> [--dry-run]`: policy-as-code through the API.
 * Exit 0: everything applied (or nothing to do; dry-run printed the diff); 1: the API refused
 * a change or failed; 2: usage or invalid input files.
 */
import { parseArgs } from 'node:util';
import { applyOne, formatPlan, InputError, loadDesired, plan } from '../control-plane/apply.js';

const HELP = `Usage: signal-factory apply -f <file|dir> [--dry-run] [--url <control plane>] [--token <bearer>]

Diffs the documents (YAML or JSON; kind: Contract | Policy | Resolution | Ops, spec: ...) against the
control plane and applies the differences in that order, each pinned with If-Match to the diffed version.
  -f, --file <path>  SF_APPLY_FILE: a file, or a directory read recursively (*.yaml, *.yml, *.json)
  --dry-run          SF_APPLY_DRY_RUN=1: print the diff only
  --url <url>        SF_CONTROL_PLANE_URL [http://127.0.0.1:8080]
  --token <jwt>      SF_CONTROL_PLANE_TOKEN (mint one with: signal-factory control-plane token)
Exit codes: 0 ok, 1 a change was refused or failed, 2 usage or invalid input.
`;

export async function run(argv: string[]): Promise<number> {
  let values: { file?: string; 'dry-run'?: boolean; url?: string; token?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f' },
        'dry-run': { type: 'boolean' },
        url: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`signal-factory apply: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  values.file ??= process.env.SF_APPLY_FILE || undefined;
  values['dry-run'] ??= process.env.SF_APPLY_DRY_RUN === '1' || process.env.SF_APPLY_DRY_RUN === 'true';
  const url = values.url ?? (process.env.SF_CONTROL_PLANE_URL || 'http://127.0.0.1:8080');
  const token = values.token ?? process.env.SF_CONTROL_PLANE_TOKEN;
  if (!values.file || !token) {
    process.stderr.write(
      `signal-factory apply: ${!values.file ? '-f <file|dir> is required' : 'set SF_CONTROL_PLANE_TOKEN or --token'}\n\n${HELP}`,
    );
    return 2;
  }
  let desired: ReturnType<typeof loadDesired>;
  try {
    desired = loadDesired(values.file);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    process.stderr.write(`signal-factory apply: ${err.message}\n`);
    return 2;
  }
  let planned: Awaited<ReturnType<typeof plan>>;
  try {
    planned = await plan(url, token, desired);
  } catch (err) {
    process.stderr.write(`signal-factory apply: reading current state failed: ${(err as Error).message}\n`);
    return 1;
  }
  for (const p of planned) process.stdout.write(`${formatPlan(p)}\n`);
  const changes = planned.filter((p) => p.action === 'create' || p.action === 'update');
  const refused = planned.filter((p) => p.action === 'immutable');
  process.stdout.write(
    `${changes.length} to change, ${planned.length - changes.length - refused.length} unchanged, ${refused.length} refused\n`,
  );
  if (values['dry-run']) return refused.length > 0 ? 1 : 0;
  let failed = refused.length;
  for (const p of changes) {
    try {
      const r = await applyOne(url, token, p);
      process.stdout.write(
        `applied ${p.desired.kind} ${p.desired.name}: ${r.status}${r.etag ? ` version ${r.etag.replace(/"/g, '')}` : ''}\n`,
      );
    } catch (err) {
      failed++;
      process.stderr.write(`failed ${p.desired.kind} ${p.desired.name}: ${(err as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
