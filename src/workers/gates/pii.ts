/**
 * PII: scans every string value of the payload (key name as context) with the linear-time
 * detectors, then compares findings with the contract's per-field `pii` allowances under the
 * dataset's pii_policy: ALLOW = no scan, DETECT = findings reported but never a failure,
 * BLOCK = undeclared findings fail with UNDECLARED_PII:<path>. Findings carry paths and
 * classes only, never values.
 */
import type { PiiPolicy } from '../../models/policy.js';
import { genericPath } from './paths.js';
import { CLASS_BITS, detect, keyContext } from './pii-detect.js';
import { pushCode, type ReasonCodeTable } from './types.js';

export const GATE = 'PII' as const;

export const REASON_CODES: ReasonCodeTable = {
  UNDECLARED_PII:
    'UNDECLARED_PII:<path>: under pii_policy BLOCK, a field carries a PII class its contract does not allow there (classes in pii_findings).',
  TOO_MANY_ERRORS: 'More undeclared-PII fields than the per-gate cap (32); the rest are omitted.',
};

export interface PiiFinding {
  path: string;
  class: string;
}

export interface PiiResult {
  codes: string[] | null;
  findings: PiiFinding[] | null;
}

export interface CompiledPii {
  policy: PiiPolicy;
  /** Declared allowances: generic path -> classes (from the contract). */
  allowed: Map<string, Set<string>>;
}

/** Key context per key name, shared by every policy of a snapshot; bounded so hostile keys cannot grow it. */
const keyCache = new Map<string, number>();
const KEY_CACHE_MAX = 10_000;

function ctxOf(key: string): number {
  let c = keyCache.get(key);
  if (c === undefined) {
    c = keyContext(key);
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(key, c);
  }
  return c;
}

export function compile(policy: PiiPolicy, allowed: Map<string, Set<string>> | undefined): CompiledPii {
  return { policy, allowed: allowed ?? new Map() };
}

const PASS: PiiResult = { codes: null, findings: null };

interface Walk {
  segs: (string | number)[];
  findings: PiiFinding[] | null;
}

export function evaluate(c: CompiledPii, value: unknown): PiiResult {
  if (c.policy === 'ALLOW') return PASS;
  const w: Walk = { segs: [], findings: null };
  visit(value, 0, w);
  if (w.findings === null) return PASS;
  if (c.policy !== 'BLOCK') return { codes: null, findings: w.findings };
  let codes: string[] | null = null;
  for (const f of w.findings) {
    if (!c.allowed.get(genericPath(f.path))?.has(f.class)) codes = pushCode(codes ?? [], `UNDECLARED_PII:${f.path}`);
  }
  return { codes, findings: w.findings };
}

/** Depth is bounded by the ENVELOPE gate's nesting limit, so recursion is safe. */
function visit(v: unknown, ctx: number, w: Walk): void {
  if (typeof v === 'string') {
    const m = detect(v, ctx);
    if (m !== 0) record(m, w);
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      w.segs.push(i);
      visit(v[i], ctx, w);
      w.segs.pop();
    }
  } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    // Object.keys, not for-in: decoded Avro records have enumerable prototype methods.
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      w.segs.push(keys[i]);
      visit((v as Record<string, unknown>)[keys[i]], ctxOf(keys[i]), w);
      w.segs.pop();
    }
  }
}

function record(mask: number, w: Walk): void {
  let path = '';
  for (const s of w.segs) path = typeof s === 'number' ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`;
  w.findings ??= [];
  for (const [bit, cls] of CLASS_BITS) if (mask & bit && w.findings.length < 256) w.findings.push({ path, class: cls });
}
