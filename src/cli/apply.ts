/**
 * `signal-factory apply -f <file|dir> [--dry-run]`: policy-as-code through the API.
 * Exit 0: everything applied (or nothing to do; a dry run found nothing the server refuses);
 * 1: the server refused or failed something, or is not the control plane; 2: usage or invalid
 * input files. Every refusal prints the server's error code: `[CODE] message (HTTP status)`.
 */
import {
  applyOne,
  describeFailure,
  dryRunOne,
  formatPlan,
  loadDesired,
  type Planned,
  plan,
} from '../control-plane/apply.js';
import { oneOf, parseCommandArgs, UsageError } from './args.js';
import { bearer } from './bearer.js';

const HELP = `Usage: signal-factory apply -f <file|dir> [--dry-run] [--url <control plane>] [--token <bearer>]

Diffs the documents (YAML or JSON; kind: Contract | Policy | Resolution | Ops, spec: ...) against the
control plane and applies the differences in that order, each pinned with If-Match to the diffed version.
A directory is read recursively (*.yaml, *.yml, *.json; *.schema.json files are JSON Schemas and skipped).
  -f, --file <path>  SF_APPLY_FILE: a file or a directory
  --dry-run          SF_APPLY_DRY_RUN=1: print the diff and let the server check each change
                     (PUT ?dry_run=true), storing nothing
  --url <url>        SF_CONTROL_PLANE_URL [http://127.0.0.1:8080]
  --token <jwt>      SF_CONTROL_PLANE_TOKEN; without one, and with SF_AUTH_JWT_SECRET set (development),
                     apply mints a 10-minute admin token signed with that secret (sub apply:<user>)
Exit codes: 0 ok, 1 a change was refused or failed, 2 usage or invalid input.
`;

const DRY_RUN_VALUES = ['1', 'true', '0', 'false'] as const;

const err = (line: string) => process.stderr.write(`signal-factory apply: ${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);
const label = (p: Planned) => `${p.desired.kind} ${p.desired.name} (${p.desired.source})`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    file: { type: 'string', short: 'f' },
    'dry-run': { type: 'boolean' },
    url: { type: 'string' },
    token: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = process.env;
  const file = values.file ?? (env.SF_APPLY_FILE || undefined);
  const dryRunVar = env.SF_APPLY_DRY_RUN ? oneOf('SF_APPLY_DRY_RUN', env.SF_APPLY_DRY_RUN, DRY_RUN_VALUES) : '0';
  const dryRun = values['dry-run'] ?? (dryRunVar === '1' || dryRunVar === 'true');
  const url = values.url ?? (env.SF_CONTROL_PLANE_URL || 'http://127.0.0.1:8080');
  if (!file) throw new UsageError('-f <file|dir> is required');
  const desired = loadDesired(file, (f, why) => err(`skipped ${f}: ${why}`));
  const token = await bearer(values.token ?? (env.SF_CONTROL_PLANE_TOKEN || undefined), 'apply');

  let planned: Planned[];
  try {
    planned = await plan(url, token, desired);
  } catch (e) {
    err(`reading the current state from ${url} failed: ${describeFailure(e)}`);
    return 1;
  }
  for (const p of planned) out(formatPlan(p));
  const changes = planned.filter((p) => p.action === 'create' || p.action === 'update');
  const immutable = planned.filter((p) => p.action === 'immutable');
  for (const p of immutable)
    err(`${label(p)}: [CONTRACT_IMMUTABLE] contracts are immutable; publish a new contract_id`);

  let refused = immutable.length;
  if (dryRun) {
    for (const p of changes) {
      const checked = await dryRunOne(url, token, p, planned);
      if (checked.refused) {
        refused++;
        err(checked.line);
      } else out(checked.line);
    }
    out(
      `${changes.length} to change, ${planned.length - changes.length - immutable.length} unchanged, ${refused} refused (dry run: nothing stored)`,
    );
    return refused > 0 ? 1 : 0;
  }
  out(
    `${changes.length} to change, ${planned.length - changes.length - immutable.length} unchanged, ${refused} refused`,
  );
  let failed = refused;
  for (const p of changes) {
    try {
      const r = await applyOne(url, token, p);
      out(
        `applied ${p.desired.kind} ${p.desired.name}: ${r.status}${r.etag ? ` version ${r.etag.replace(/"/g, '')}` : ''}`,
      );
    } catch (e) {
      failed++;
      err(`${label(p)}: ${describeFailure(e)}`);
    }
  }
  if (failed > 0) err(`${failed} of ${changes.length + immutable.length} changes failed`);
  return failed > 0 ? 1 : 0;
}
