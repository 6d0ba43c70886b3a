/**
 * PII: scans every string value of the payload (key name as context) with the linear-time
 * detectors, then compares findings with the contract's per-field `pii` allowances under the
 * dataset's pii_policy: ALLOW = no scan, DETECT = findings reported but never a failure,
 * BLOCK = undeclared findings fail with UNDECLARED_PII:<path>. Findings carry paths and
 * classes only, never values.
 */
import type { PiiPolicy } from '../../models/policy.js';
import { genericPath } from './paths.js';
import { CLASS_BITS, detectUnderKey } from './pii-detect.js';
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

export function compile(policy: PiiPolicy, allowed: Map<string, Set<string>> | undefined): CompiledPii {
  return { policy, allowed: allowed ?? new Map() };
}

const PASS: PiiResult = { codes: null, findings: null };

/**
 * Walk state, one per module (evaluation is synchronous and never re-entered): the path as
 * segments by depth (written in place, no push/pop), and the findings of the current record.
 */
interface Walk {
  segs: (string | number)[];
  findings: PiiFinding[] | null;
  /** Generic paths (`items[].note`) parallel to findings, built only under BLOCK. */
  generic: string[] | null;
  block: boolean;
}
const W: Walk = { segs: [], findings: null, generic: null, block: false };

/** Tells whether Object.prototype carries enumerable properties (then for-in would visit them). */
const PROBE: Record<string, unknown> = {};
function prototypeClean(): boolean {
  for (const _ in PROBE) return false;
  return true;
}

/**
 * `fromJson`: the value came from JSON.parse, so every object is a plain object whose own
 * enumerable keys are what for-in visits (in Object.keys order) while Object.prototype has no
 * enumerable properties; for-in then avoids allocating a key array per object. Decoded Avro
 * records (enumerable prototype methods) take the Object.keys walk.
 */
export function evaluate(c: CompiledPii, value: unknown, fromJson = false): PiiResult {
  if (c.policy === 'ALLOW') return PASS;
  W.findings = null;
  W.generic = null;
  W.block = c.policy === 'BLOCK';
  if (fromJson && prototypeClean()) visitJson(value, null, 0);
  else visit(value, null, 0);
  const findings = W.findings as PiiFinding[] | null;
  const generic = W.generic as string[] | null;
  W.findings = null;
  W.generic = null;
  if (findings === null) return PASS;
  if (generic === null) return { codes: null, findings };
  let codes: string[] | null = null;
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i];
    if (!c.allowed.get(generic[i])?.has(f.class)) codes = pushCode(codes ?? [], `UNDECLARED_PII:${f.path}`);
  }
  return { codes, findings };
}

/**
 * `key` is the nearest object key above the value (array elements keep their array's key): the
 * detectors resolve its context only when a decision needs it. Depth is bounded by the ENVELOPE
 * gate's nesting limit, so recursion is safe.
 */
function visit(v: unknown, key: string | null, depth: number): void {
  if (typeof v === 'string') {
    const m = detectUnderKey(v, key);
    if (m !== 0) record(m, depth);
  } else if (typeof v !== 'object' || v === null) {
    return;
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      W.segs[depth] = i;
      visit(v[i], key, depth + 1);
    }
  } else if (!ArrayBuffer.isView(v)) {
    // Object.keys, not for-in: decoded Avro records have enumerable prototype methods.
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      W.segs[depth] = k;
      visit((v as Record<string, unknown>)[k], k, depth + 1);
    }
  }
}

/** visit() for values from JSON.parse: plain objects and arrays only, keys by for-in. */
function visitJson(v: unknown, key: string | null, depth: number): void {
  if (typeof v === 'string') {
    const m = detectUnderKey(v, key);
    if (m !== 0) record(m, depth);
  } else if (typeof v !== 'object' || v === null) {
    return;
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      W.segs[depth] = i;
      visitJson(v[i], key, depth + 1);
    }
  } else {
    for (const k in v) {
      W.segs[depth] = k;
      visitJson((v as Record<string, unknown>)[k], k, depth + 1);
    }
  }
}

function record(mask: number, depth: number): void {
  let path = '';
  // The generic path is built alongside (an index becomes `[]`), which is what genericPath()
  // gives unless a key itself holds brackets: then genericPath() decides, as before.
  let generic = '';
  let bracketKey = false;
  for (let d = 0; d < depth; d++) {
    const s = W.segs[d];
    if (typeof s === 'number') {
      path = `${path}[${s}]`;
      generic += '[]';
    } else {
      path = path === '' ? s : `${path}.${s}`;
      generic = generic === '' ? s : `${generic}.${s}`;
      if (!bracketKey && (s.includes('[') || s.includes(']'))) bracketKey = true;
    }
  }
  if (bracketKey) generic = genericPath(path);
  W.findings ??= [];
  if (W.block) W.generic ??= [];
  for (let b = 0; b < CLASS_BITS.length; b++) {
    const [bit, cls] = CLASS_BITS[b];
    if (mask & bit && W.findings.length < 256) {
      W.findings.push({ path, class: cls });
      if (W.generic !== null) W.generic.push(generic);
    }
  }
}
