/**
 * PII: scans every string value of the payload (key name as context) with the linear-time
 * detectors, then compares findings with the contract's per-field `pii` allowances under the
 * dataset's pii_policy: ALLOW = no scan, DETECT = findings reported but never a failure,
 * BLOCK = undeclared findings fail with UNDECLARED_PII:<path>. Findings carry paths and
 * classes only, never values.
 */
import type { PiiPolicy } from '../../models/policy.js';
import { genericPath } from './paths.js';
import { CLASS_BITS, detectUnderKey, MIN_PII_LENGTH } from './pii-detect.js';
import type { GateSpec } from './spec.js';
import { flat, pushCode, type ReasonCodeTable } from './types.js';

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
  /**
   * Declared allowances: generic path -> classes (from the contract). Looked up once per finding
   * path and policy (the path trie below keeps the answer), not per finding.
   */
  allowed: Map<string, Set<string>>;
}

const CLASS_BIT = new Map(CLASS_BITS.map(([bit, cls]) => [cls, bit]));

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
  /** Under BLOCK: the compiled allowances, and the codes of undeclared findings so far. */
  block: CompiledPii | null;
  codes: string[] | null;
}
const W: Walk = { segs: [], findings: null, block: null, codes: null };

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
  W.codes = null;
  W.block = c.policy === 'BLOCK' ? c : null;
  if (fromJson && prototypeClean()) visitJson(value, null, 0);
  else visit(value, null, 0);
  const findings = W.findings as PiiFinding[] | null;
  const codes = W.codes as string[] | null;
  W.findings = null;
  W.codes = null;
  W.block = null;
  return findings === null ? PASS : { codes, findings };
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

/**
 * visit() for values from JSON.parse: plain objects and arrays only, keys by for-in. Each child
 * is screened by visitChild (small enough for V8 to inline): numbers, booleans and short
 * strings, most leaves, cost no recursive call.
 */
function visitJson(v: unknown, key: string | null, depth: number): void {
  if (typeof v === 'string') leaf(v, key, depth);
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) visitChild(v[i], i, key, depth);
  else if (typeof v === 'object' && v !== null)
    for (const k in v) visitChild((v as Record<string, unknown>)[k], k, k, depth);
}

/** One element or property `x` at segment `seg`: short strings and scalars cost no further call. */
function visitChild(x: unknown, seg: string | number, key: string | null, depth: number): void {
  if (typeof x === 'string') {
    if (x.length >= MIN_PII_LENGTH) {
      W.segs[depth] = seg;
      leaf(x, key, depth + 1);
    }
  } else if (typeof x === 'object' && x !== null) {
    W.segs[depth] = seg;
    visitJson(x, key, depth + 1);
  }
}

function leaf(s: string, key: string | null, depth: number): void {
  const m = detectUnderKey(s, key);
  if (m !== 0) record(m, depth);
}

/**
 * A finding's path, interned in a trie keyed by the payload's own segments (interned keys, array
 * indexes): records of one dataset find PII at the same few paths, so the path text, its shared
 * finding objects, its UNDECLARED_PII code and its allowance are made once, not per record.
 */
class PathNode {
  readonly children = new Map<string | number, PathNode>();
  /** Per class bit index: the shared (frozen) finding at this path. */
  private readonly found: (PiiFinding | undefined)[] = [];
  private code: string | null = null;
  private allowedFor: CompiledPii | null = null;
  private allowedBits = 0;
  constructor(readonly path: string) {}
  finding(b: number): PiiFinding {
    let f = this.found[b];
    if (f === undefined) {
      f = Object.freeze({ path: this.path, class: CLASS_BITS[b][1] });
      this.found[b] = f;
    }
    return f;
  }
  undeclaredCode(): string {
    this.code ??= flat(`UNDECLARED_PII:${this.path}`);
    return this.code;
  }
  /** Class bits the contract of `c` allows at this path (its generic form, `items[].note`). */
  allowed(c: CompiledPii): number {
    if (this.allowedFor !== c) {
      this.allowedBits = allowedByText(c, this.path);
      this.allowedFor = c;
    }
    return this.allowedBits;
  }
}

/** Bounded: payloads with ever-new keys or long arrays start a fresh trie instead of growing it. */
const MAX_PATH_NODES = 10_000;
let pathRoot = new PathNode('');
let pathNodes = 0;

function pathNode(depth: number): PathNode {
  let node = pathRoot;
  for (let d = 0; d < depth; d++) {
    const s = W.segs[d];
    let next = node.children.get(s);
    if (next === undefined) {
      if (++pathNodes > MAX_PATH_NODES) {
        pathRoot = new PathNode('');
        pathNodes = 0;
        return pathNode(depth);
      }
      const text = typeof s === 'number' ? `${node.path}[${s}]` : node.path === '' ? s : `${node.path}.${s}`;
      next = new PathNode(flat(text));
      node.children.set(s, next);
    }
    node = next;
  }
  return node;
}

/** At most this many findings per record (the evidence stays bounded); later ones are not recorded. */
const MAX_FINDINGS = 256;

function record(mask: number, depth: number): void {
  if (W.findings !== null && W.findings.length >= MAX_FINDINGS) return;
  const node = pathNode(depth);
  W.findings ??= [];
  const block = W.block;
  const allowed = block === null ? 0 : node.allowed(block);
  for (let b = 0; b < CLASS_BITS.length; b++) {
    if (mask & CLASS_BITS[b][0] && W.findings.length < MAX_FINDINGS) {
      W.findings.push(node.finding(b));
      if (block !== null && !(allowed & CLASS_BITS[b][0])) W.codes = pushCode(W.codes ?? [], node.undeclaredCode());
    }
  }
}

/** Class bits the contract allows at a concrete path (its generic form, `items[].note`, decides). */
function allowedByText(c: CompiledPii, path: string): number {
  let bits = 0;
  for (const cls of c.allowed.get(genericPath(path)) ?? []) bits |= CLASS_BIT.get(cls) ?? 0;
  return bits;
}

/** Leaves its findings for the evidence (DETECT finds without failing). */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    const d = j.decoded!;
    if (!d.ok) return null;
    const r = evaluate(j.ds!.pii, d.value, d.plain);
    j.findings = r.findings;
    return r.codes;
  },
};
