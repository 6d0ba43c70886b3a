/** Logical checks (pure) behind the 422 codes: what the TypeBox models cannot express. */
import type { DataContractInput, DatasetOpsToggles, DatasetPolicyInput } from '../models/index.js';
import { patternProblem } from '../workers/gates/patterns.js';
import { ApiError } from './errors.js';

export function checkPolicy(p: DatasetPolicyInput): void {
  if (p.enforcement_mode === 'REPUBLISH_PASS_ONLY' && !p.blessed_topic) {
    throw new ApiError('BLESSED_TOPIC_REQUIRED', 'enforcement_mode REPUBLISH_PASS_ONLY needs blessed_topic', {
      path: '/blessed_topic',
    });
  }
}

export function checkContract(c: DataContractInput): void {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  c.fields.forEach((f, i) => {
    const at = `/fields/${i}`;
    if (seen.has(f.path)) problems.push({ path: `${at}/path`, message: `duplicate field path ${f.path}` });
    seen.add(f.path);
    // The gate's own compile: a pattern is refused here exactly when the gate could not run it.
    const patternIssue = f.pattern === undefined ? null : patternProblem(f.pattern);
    if (patternIssue !== null) problems.push({ path: `${at}/pattern`, message: patternIssue });
    if (f.minimum !== undefined && f.maximum !== undefined && f.minimum > f.maximum) {
      problems.push({ path: `${at}/minimum`, message: 'minimum is greater than maximum' });
    }
    if (f.min_length !== undefined && f.max_length !== undefined && f.min_length > f.max_length) {
      problems.push({ path: `${at}/min_length`, message: 'min_length is greater than max_length' });
    }
  });
  if (problems.length > 0) throw new ApiError('INVALID_CONTRACT', 'the contract is not consistent', problems);
}

export function checkDatasetOps(ops: DatasetOpsToggles, policy: DatasetPolicyInput): void {
  // The model's gate union is built with .map(), so its static type is never[]; compare as strings.
  if ((ops.disabled_gates as string[]).includes('RESOLUTION')) {
    throw new ApiError('INVALID_OPS_TOGGLE', 'the RESOLUTION gate cannot be disabled', { path: '/disabled_gates' });
  }
  if (ops.mode_override === 'REPUBLISH_PASS_ONLY' && !policy.blessed_topic) {
    throw new ApiError(
      'BLESSED_TOPIC_REQUIRED',
      'mode_override REPUBLISH_PASS_ONLY needs a policy with blessed_topic',
      {
        path: '/mode_override',
      },
    );
  }
}

/** JSON with object keys sorted, so equal documents compare equal whatever their key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.keys(val)
            .sort()
            .map((k) => [k, (val as Record<string, unknown>)[k]]),
        )
      : val,
  );
}

/** Fields the server manages: never part of a client's content (also `apply`'s diff). */
export const SERVER_FIELDS: ReadonlySet<string> = new Set([
  'version',
  'updated_at',
  'updated_by',
  'created_at',
  'created_by',
  // A contract's deprecation is not its content: the same body again stays a 200.
  'deprecated_at',
  'deprecated_by',
  'deprecation_reason',
]);

/** Same client-owned content? (server-managed fields ignored) */
export function sameContent(stored: object, input: object): boolean {
  const strip = (o: object) => Object.fromEntries(Object.entries(o).filter(([k]) => !SERVER_FIELDS.has(k)));
  return canonicalJson(strip(stored)) === canonicalJson(strip(input));
}

/** `"5"`, `W/"5"`, `5` -> 5; `*` -> '*'; a list -> its entries. Unparseable entries are dropped. */
export function parseEtags(header: string | undefined): (number | '*')[] | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  return header
    .split(',')
    .map((s) => s.trim())
    .map((s) => (s === '*' ? '*' : Number(s.replace(/^W\//, '').replace(/"/g, ''))))
    .filter((v): v is number | '*' => v === '*' || (Number.isInteger(v) && v >= 0));
}

export const etag = (version: number) => `"${version}"`;
