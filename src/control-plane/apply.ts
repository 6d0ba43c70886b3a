/**
 * Policy-as-code: load desired documents (YAML/JSON, `kind` + `spec`), diff them against the
 * API and apply in dependency order (contracts, policies, resolution, ops). Pure parts (load,
 * diff, plan, outcome) are separate from the HTTP calls so they can be tested without a server.
 * A dry run asks the server too (`?dry_run=true` on the same PUT), so it refuses what the
 * server would refuse.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { type ApiResponse, ControlPlaneHttpError, callApi, getIfExists } from '../common/control-plane-api.js';
import { DocumentError, readDocuments } from '../common/documents.js';
import { describeSchemaErrors } from '../common/schema-errors.js';
import {
  DataContractInput,
  DatasetOpsToggles,
  DatasetPolicyInput,
  DatasetResolution,
  DatasetUrn,
  GlobalOpsToggles,
} from '../models/index.js';
import { canonicalJson, SERVER_FIELDS } from './validation.js';

export const KINDS = ['Contract', 'Policy', 'Resolution', 'Ops'] as const;
export type Kind = (typeof KINDS)[number];

export interface Desired {
  kind: Kind;
  /** Where the entity lives in the API. */
  path: string;
  /** What is PUT. */
  body: Record<string, unknown>;
  name: string;
  source: string;
}

const DatasetOpsSpec = Type.Object(
  { dataset_urn: DatasetUrn, ...DatasetOpsToggles.properties },
  { additionalProperties: false },
);
const ResolutionSpec = Type.Object(
  { dataset_urn: DatasetUrn, ...DatasetResolution.properties },
  { additionalProperties: false },
);
const checkers: Record<string, ReturnType<typeof Compile<TSchema>>> = {
  Contract: Compile(DataContractInput),
  Policy: Compile(DatasetPolicyInput),
  Resolution: Compile(ResolutionSpec),
  DatasetOps: Compile(DatasetOpsSpec),
  GlobalOps: Compile(GlobalOpsToggles),
};

const enc = encodeURIComponent;

/** Which kind a document without `kind` resembles, for a helpful error. */
function guessKind(doc: unknown): Kind | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const has = (k: string) => k in doc;
  if (has('contract_id') && has('fields')) return 'Contract';
  if (has('dataset_urn') && has('enforcement_mode')) return 'Policy';
  if (has('rules')) return 'Resolution';
  return undefined;
}

/** One document -> one desired entity; throws DocumentError naming the source and failing path. */
export function toDesired(doc: unknown, source: string): Desired {
  const d = doc as { kind?: unknown; spec?: unknown };
  if (!d || typeof d !== 'object' || !KINDS.includes(d.kind as Kind) || !d.spec || typeof d.spec !== 'object') {
    const bare = guessKind(doc);
    const hint = bare ? `; this looks like a bare ${bare} spec: write it as {kind: ${bare}, spec: <it>}` : '';
    throw new DocumentError(`${source}: a document needs kind (${KINDS.join('|')}) and spec${hint}`);
  }
  const kind = d.kind as Kind;
  const spec = d.spec as Record<string, unknown>;
  const which = kind === 'Ops' ? (spec.dataset_urn === undefined ? 'GlobalOps' : 'DatasetOps') : kind;
  const check = checkers[which];
  if (!check.Check(spec)) {
    throw new DocumentError(`${source}: ${kind} spec invalid: ${describeSchemaErrors(check.Errors(spec))}`);
  }
  switch (which) {
    case 'Contract':
      return {
        kind,
        name: String(spec.contract_id),
        path: `/v1/contracts/${enc(String(spec.contract_id))}`,
        body: spec,
        source,
      };
    case 'Policy':
      return {
        kind,
        name: String(spec.dataset_urn),
        path: `/v1/datasets/${enc(String(spec.dataset_urn))}/policy`,
        body: spec,
        source,
      };
    case 'Resolution':
      return {
        kind,
        name: String(spec.dataset_urn),
        path: `/v1/datasets/${enc(String(spec.dataset_urn))}/resolution`,
        body: { rules: spec.rules },
        source,
      };
    case 'DatasetOps': {
      const { dataset_urn, ...toggles } = spec;
      return {
        kind,
        name: String(dataset_urn),
        path: `/v1/datasets/${enc(String(dataset_urn))}/ops`,
        body: toggles,
        source,
      };
    }
    default:
      return { kind, name: 'global', path: '/v1/ops/global', body: spec, source };
  }
}

/** JSON Schemas sit beside the documents they serve (examples/orders); they belong to the schema registry. */
export const isSchemaFile = (f: string) => basename(f).endsWith('.schema.json');

/** A file, or a directory's *.yaml, *.yml and *.json files (recursively, sorted), minus *.schema.json. */
function filesOf(target: string, onSkip: (file: string, why: string) => void): string[] {
  const st = statSync(target);
  if (!st.isDirectory()) return [target];
  return readdirSync(target)
    .sort()
    .flatMap((n) => {
      const f = join(target, n);
      if (statSync(f).isDirectory()) return filesOf(f, onSkip);
      if (!['.yaml', '.yml', '.json'].includes(extname(f))) return [];
      if (isSchemaFile(f)) {
        onSkip(f, 'a JSON Schema (*.schema.json): register it in the schema registry');
        return [];
      }
      return [f];
    });
}

export function loadDesired(target: string, onSkip: (file: string, why: string) => void = () => {}): Desired[] {
  const out: Desired[] = [];
  let files: string[];
  try {
    files = filesOf(target, onSkip);
  } catch (err) {
    throw new DocumentError(`cannot read ${target}: ${(err as Error).message}`);
  }
  for (const file of files) {
    readDocuments(file).forEach((d, i) => {
      out.push(toDesired(d, `${file}#${i + 1}`));
    });
  }
  const seen = new Set<string>();
  for (const d of out) {
    if (seen.has(d.path)) throw new DocumentError(`${d.source}: ${d.kind} ${d.name} is declared twice`);
    seen.add(d.path);
  }
  return out.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
}

/** Not diffed unless the document sets them: the server's fields, and the urn that the path carries. */
const NOT_DIFFED = new Set([...SERVER_FIELDS, 'dataset_urn']);

/** Top-level field differences, as lines for the printed diff. */
export function diffLines(current: Record<string, unknown> | undefined, desired: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const cur = current ?? {};
  const keys = [...new Set([...Object.keys(cur), ...Object.keys(desired)])]
    .filter((k) => !NOT_DIFFED.has(k) || k in desired)
    .sort();
  for (const k of keys) {
    const a = cur[k];
    const b = desired[k];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (a === undefined) lines.push(`    + ${k}: ${JSON.stringify(b)}`);
    else if (b === undefined) lines.push(`    - ${k}: ${JSON.stringify(a)}`);
    else lines.push(`    ~ ${k}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
  }
  return lines;
}

export type Action = 'create' | 'update' | 'unchanged' | 'immutable';

export interface Planned {
  desired: Desired;
  action: Action;
  etag: string | undefined;
  lines: string[];
}

/** `current` is the GET's answer, undefined when the entity does not exist. */
export function decide(d: Desired, current: ApiResponse<Record<string, unknown> | undefined> | undefined): Planned {
  const body = current?.body;
  // Never-set ops toggles read as defaults with version 0: they do not exist yet.
  const exists = body !== undefined && body.version !== 0;
  const lines = diffLines(exists ? body : undefined, d.body);
  let action: Action = !exists ? 'create' : lines.length === 0 ? 'unchanged' : 'update';
  if (action === 'update' && d.kind === 'Contract') action = 'immutable';
  return { desired: d, action, etag: exists ? current?.etag : undefined, lines };
}

export async function plan(base: string, token: string, desired: Desired[]): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const d of desired) out.push(decide(d, await getIfExists<Record<string, unknown>>(base, token, d.path)));
  return out;
}

const MARK: Record<Action, string> = { create: '+', update: '~', unchanged: '=', immutable: '!' };

export function formatPlan(p: Planned): string {
  const v = p.etag ? ` (at version ${p.etag.replace(/"/g, '')})` : '';
  const note = p.action === 'immutable' ? ': contracts are immutable, publish a new contract_id' : '';
  return [`${MARK[p.action]} ${p.desired.kind} ${p.desired.name} ${p.action}${v}${note}`, ...p.lines].join('\n');
}

/** PUTs one planned change, pinned with If-Match to the version that was diffed; `dryRun` stores nothing. */
export async function applyOne(
  base: string,
  token: string,
  p: Planned,
  dryRun = false,
): Promise<ApiResponse<Record<string, unknown> | undefined>> {
  const headers: Record<string, string> = p.etag ? { 'if-match': p.etag } : { 'if-match': '"0"' };
  const path = dryRun ? `${p.desired.path}?dry_run=true` : p.desired.path;
  return callApi(base, token, 'PUT', path, p.desired.body, { headers });
}

/** What a dry run learned about one change. */
export interface Checked {
  refused: boolean;
  line: string;
}

/**
 * Asks the server about one change without storing it. The server cannot see entities this run
 * creates earlier, so: a policy whose contract is created first is checked without its
 * contract_id (everything else still checked); a resolution or ops document of a dataset whose
 * policy is created first is reported as not checkable yet.
 */
export async function dryRunOne(base: string, token: string, p: Planned, all: Planned[]): Promise<Checked> {
  const creates = (kind: Kind, name: unknown) =>
    all.find((o) => o.desired.kind === kind && o.desired.name === name && o.action === 'create');
  const what = `${p.desired.kind} ${p.desired.name}`;
  const newContract = p.desired.kind === 'Policy' ? creates('Contract', p.desired.body.contract_id) : undefined;
  const { contract_id: _c, ...withoutContract } = p.desired.body;
  const asked = newContract ? { ...p, desired: { ...p.desired, body: withoutContract } } : p;
  try {
    const r = await applyOne(base, token, asked, true);
    const note = newContract ? ` (checked without contract_id: ${newContract.desired.name} is created first)` : '';
    return { refused: false, line: `checked ${what}: the server would answer ${r.status}${note}` };
  } catch (err) {
    const newPolicy =
      (p.desired.kind === 'Resolution' || p.desired.kind === 'Ops') &&
      err instanceof ControlPlaneHttpError &&
      err.code === 'DATASET_NOT_FOUND'
        ? creates('Policy', p.desired.name)
        : undefined;
    if (newPolicy) {
      return {
        refused: false,
        line: `checked ${what}: checkable only once Policy ${p.desired.name} exists (created first)`,
      };
    }
    return { refused: true, line: `${what} (${p.desired.source}): ${describeFailure(err)}` };
  }
}

/** `[CODE] message (HTTP status)`: how every refusal is printed. */
export function describeFailure(err: unknown): string {
  if (err instanceof ControlPlaneHttpError) {
    return `[${err.code}] ${err.message}${err.status ? ` (HTTP ${err.status})` : ''}`;
  }
  const e = err as Error & { code?: unknown };
  return `${typeof e.code === 'string' ? `[${e.code}] ` : ''}${e.message}`;
}
