/**
 * Policy-as-code: load desired documents (YAML/JSON, `kind` + `spec`), diff them against the
 * API and apply in dependency order (contracts, policies, resolution, ops). Pure parts (load,
 * diff, plan) are separate from the HTTP calls so they can be tested without a server.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { parseAllDocuments } from 'yaml';
import {
  DataContractInput,
  DatasetOpsToggles,
  DatasetPolicyInput,
  DatasetResolution,
  DatasetUrn,
  GlobalOpsToggles,
} from '../models/index.js';
import { type ApiResponse, callApi } from './client.js';
import { canonicalJson } from './validation.js';

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

export class InputError extends Error {
  readonly code = 'USAGE';
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

/** One document -> one desired entity; throws InputError naming the source and failing path. */
export function toDesired(doc: unknown, source: string): Desired {
  const d = doc as { kind?: unknown; spec?: unknown };
  if (!d || typeof d !== 'object' || !KINDS.includes(d.kind as Kind) || !d.spec || typeof d.spec !== 'object') {
    throw new InputError(`${source}: a document needs kind (${KINDS.join('|')}) and spec`);
  }
  const kind = d.kind as Kind;
  const spec = d.spec as Record<string, unknown>;
  const which = kind === 'Ops' ? (spec.dataset_urn === undefined ? 'GlobalOps' : 'DatasetOps') : kind;
  const check = checkers[which];
  if (!check.Check(spec)) {
    const e = check.Errors(spec)[0];
    throw new InputError(`${source}: ${kind} spec invalid at "${e?.instancePath || '/'}": ${e?.message}`);
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

function filesOf(target: string): string[] {
  const st = statSync(target);
  if (!st.isDirectory()) return [target];
  return readdirSync(target)
    .sort()
    .flatMap((n) => filesOf(join(target, n)))
    .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)));
}

export function loadDesired(target: string): Desired[] {
  const out: Desired[] = [];
  let files: string[];
  try {
    files = filesOf(target);
  } catch (err) {
    throw new InputError(`cannot read ${target}: ${(err as Error).message}`);
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    let docs: unknown[];
    if (extname(file) === '.json') {
      try {
        const v: unknown = JSON.parse(text);
        docs = Array.isArray(v) ? v : [v];
      } catch (err) {
        throw new InputError(`${file}: ${(err as Error).message}`);
      }
    } else {
      const parsed = parseAllDocuments(text);
      const all = Array.isArray(parsed) ? parsed : [parsed];
      const bad = all.find((d) => d.errors.length > 0);
      if (bad) throw new InputError(`${file}: ${bad.errors[0].message}`);
      docs = all.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
    }
    docs.forEach((d, i) => {
      out.push(toDesired(d, `${file}#${i + 1}`));
    });
  }
  const seen = new Set<string>();
  for (const d of out) {
    if (seen.has(d.path)) throw new InputError(`${d.source}: ${d.kind} ${d.name} is declared twice`);
    seen.add(d.path);
  }
  return out.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
}

const SERVER_FIELDS = new Set(['version', 'updated_at', 'updated_by', 'created_at', 'created_by', 'dataset_urn']);

/** Top-level field differences, as lines for the printed diff. */
export function diffLines(current: Record<string, unknown> | undefined, desired: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const cur = current ?? {};
  const keys = [...new Set([...Object.keys(cur), ...Object.keys(desired)])]
    .filter((k) => !SERVER_FIELDS.has(k) || k in desired)
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

export function decide(d: Desired, current: ApiResponse<Record<string, unknown> | undefined>): Planned {
  const body = current.body;
  const exists = current.status !== 404 && body !== undefined && body.version !== 0;
  const lines = diffLines(exists ? body : undefined, d.body);
  let action: Action = !exists ? 'create' : lines.length === 0 ? 'unchanged' : 'update';
  if (action === 'update' && d.kind === 'Contract') action = 'immutable';
  return { desired: d, action, etag: exists ? current.etag : undefined, lines };
}

export async function plan(base: string, token: string, desired: Desired[]): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const d of desired) out.push(decide(d, await callApi<Record<string, unknown>>(base, token, 'GET', d.path)));
  return out;
}

const MARK: Record<Action, string> = { create: '+', update: '~', unchanged: '=', immutable: '!' };

export function formatPlan(p: Planned): string {
  const v = p.etag ? ` (at version ${p.etag.replace(/"/g, '')})` : '';
  const note = p.action === 'immutable' ? ': contracts are immutable, publish a new contract_id' : '';
  return [`${MARK[p.action]} ${p.desired.kind} ${p.desired.name} ${p.action}${v}${note}`, ...p.lines].join('\n');
}

/** PUTs one planned change, pinned with If-Match to the version that was diffed. */
export async function applyOne(base: string, token: string, p: Planned): Promise<ApiResponse<unknown>> {
  const headers: Record<string, string> = p.etag ? { 'if-match': p.etag } : {};
  return callApi(base, token, 'PUT', p.desired.path, p.desired.body, headers);
}
