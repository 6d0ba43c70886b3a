/**
 * CONTRACT: business rules of a data contract (required fields and domain constraints),
 * compiled once per contract version into flat checks: parsed paths, Sets for enums,
 * whole-string RE2 patterns (gates/patterns.ts), format functions. Reason codes name the
 * concrete path (`items[2].sku`).
 */
import type { RE2JS } from 're2js';
import type { ContractField, DataContract } from '../../models/contract.js';
import { formatChecker } from './formats.js';
import { isPlainObject, type PathSeg, parseFieldPath } from './paths.js';
import { compilePattern } from './patterns.js';
import type { GateSpec } from './spec.js';
import { pushCode, type ReasonCodeTable } from './types.js';

export const GATE = 'CONTRACT' as const;

export const REASON_CODES: ReasonCodeTable = {
  MISSING_FIELD: 'MISSING_FIELD:<path>: a required field is absent or null.',
  TYPE_MISMATCH: 'TYPE_MISMATCH:<path>: the value is not of the declared type (or a path step is not an object/array).',
  NOT_IN_ENUM: 'NOT_IN_ENUM:<path>: the value is not one of the allowed values.',
  OUT_OF_RANGE: 'OUT_OF_RANGE:<path>: a number is below minimum or above maximum.',
  PATTERN_MISMATCH: 'PATTERN_MISMATCH:<path>: a string does not match the whole pattern.',
  LENGTH_OUT_OF_RANGE:
    'LENGTH_OUT_OF_RANGE:<path>: string length (code points) or array size outside min_length..max_length.',
  FORMAT_MISMATCH: 'FORMAT_MISMATCH:<path>: a string is not a valid date-time, date, email, uuid, uri, ipv4 or ipv6.',
  CONTRACT_NOT_FOUND: 'The policy names a contract_id that is not in the snapshot.',
  TOO_MANY_ERRORS: 'More field problems than the per-gate cap (32); the rest are omitted.',
};

interface Check {
  segs: PathSeg[];
  required: boolean;
  type?: string;
  /** `type` as a small integer (T_*), compared per record instead of the string. */
  typeCode: number;
  enumSet?: Set<unknown>;
  minimum?: number;
  maximum?: number;
  /** RE2, matched against the whole string; null when the pattern does not compile (never matches). */
  pattern?: RE2JS | null;
  minLength?: number;
  maxLength?: number;
  format?: (s: string) => boolean;
}

export interface CompiledContract {
  contractId: string;
  checks: Check[];
  /** Declared PII allowances: generic path (`items[].note`) -> classes. Used by the PII gate. */
  pii: Map<string, Set<string>>;
  /** Compile-time findings for logs (a stored pattern RE2 cannot run). */
  warnings: string[];
}

const FORMATS: Record<string, string> = {
  'date-time': 'date-time',
  date: 'date',
  email: 'email',
  uuid: 'uuid',
  uri: 'uri',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
};

export function compile(contract: DataContract): CompiledContract {
  const pii = new Map<string, Set<string>>();
  const warnings: string[] = [];
  const checks = contract.fields.map((f: ContractField): Check => {
    if (f.pii?.length) pii.set(f.path, new Set(f.pii));
    const fmt = f.format ? formatChecker(FORMATS[f.format]) : undefined;
    return {
      segs: parseFieldPath(f.path),
      required: f.required === true,
      type: f.type,
      typeCode: f.type === undefined ? T_ANY : (TYPE_CODES.get(f.type) ?? T_OBJECT),
      enumSet: f.enum ? new Set<unknown>(f.enum) : undefined,
      minimum: f.minimum,
      maximum: f.maximum,
      pattern: f.pattern !== undefined ? wholeMatch(f.pattern, f.path, warnings) : undefined,
      minLength: f.min_length,
      maxLength: f.max_length,
      format: fmt,
    };
  });
  return { contractId: contract.contract_id, checks, pii, warnings };
}

/**
 * The control plane refuses a pattern RE2 cannot compile; one stored before that rule never
 * matches (PATTERN_MISMATCH on every value it checks) and is reported as a compile warning.
 */
function wholeMatch(pattern: string, path: string, warnings: string[]): RE2JS | null {
  const c = compilePattern(pattern);
  if (c.ok) return c.re;
  warnings.push(`INVALID_PATTERN:${path}: ${c.problem}`);
  return null;
}

/**
 * Array indices of the element being checked, by segment position (`items[2].sku`: IDX[0] = 2).
 * Paths are built from segments and indices only when a code is pushed: a passing record
 * allocates no path strings. Module state: evaluation is synchronous and never re-entered.
 */
const IDX: number[] = [];

export function evaluate(c: CompiledContract, value: unknown): string[] | null {
  let out: string[] | null = null;
  for (let i = 0; i < c.checks.length; i++) out = walk(c.checks[i], value, 0, out);
  return out;
}

/** The concrete path of segment `i` (with its element index when `indexed`), as reason codes name it. */
function pathOf(ch: Check, i: number, indexed: boolean): string {
  let p = '';
  for (let j = 0; j <= i; j++) {
    const seg = ch.segs[j];
    p = p === '' ? seg.key : `${p}.${seg.key}`;
    if (seg.each && (j < i || indexed)) p = `${p}[${IDX[j]}]`;
  }
  return p;
}

function code(out: string[] | null, prefix: string, ch: Check, i: number, indexed: boolean): string[] {
  return pushCode(out ?? [], `${prefix}:${pathOf(ch, i, indexed)}`);
}

function walk(ch: Check, cur: unknown, i: number, out: string[] | null): string[] | null {
  const seg = ch.segs[i];
  const v = isPlainObject(cur) ? cur[seg.key] : undefined;
  const last = i === ch.segs.length - 1;
  if (seg.each) {
    if (v === undefined || v === null) return out; // no array, no elements to check
    if (!Array.isArray(v)) return code(out, 'TYPE_MISMATCH', ch, i, false);
    for (let k = 0; k < v.length; k++) {
      IDX[i] = k;
      out = last ? leaf(ch, v[k], i, true, out) : walk(ch, v[k], i + 1, out);
    }
    return out;
  }
  if (last) return leaf(ch, v, i, false, out);
  if (v === undefined || v === null)
    return ch.required ? pushCode(out ?? [], `MISSING_FIELD:${pathToEnd(ch, i)}`) : out;
  if (typeof v !== 'object') return code(out, 'TYPE_MISMATCH', ch, i, false);
  return walk(ch, v, i + 1, out);
}

/** The missing field is named by its full path even when a parent is absent (`customer.id`). */
function pathToEnd(ch: Check, i: number): string {
  let p = pathOf(ch, i, false);
  for (let k = i + 1; k < ch.segs.length && !ch.segs[k - 1].each; k++) p += `.${ch.segs[k].key}`;
  return p;
}

function leaf(ch: Check, v: unknown, i: number, indexed: boolean, out: string[] | null): string[] | null {
  if (v === undefined || v === null) return ch.required ? code(out, 'MISSING_FIELD', ch, i, indexed) : out;
  if (ch.typeCode !== T_ANY && !hasType(v, ch.typeCode)) return code(out, 'TYPE_MISMATCH', ch, i, indexed);
  if (ch.enumSet !== undefined && !ch.enumSet.has(v)) out = code(out, 'NOT_IN_ENUM', ch, i, indexed);
  if (typeof v === 'number') {
    if ((ch.minimum !== undefined && v < ch.minimum) || (ch.maximum !== undefined && v > ch.maximum)) {
      out = code(out, 'OUT_OF_RANGE', ch, i, indexed);
    }
  } else if (typeof v === 'string') {
    if (ch.minLength !== undefined || ch.maxLength !== undefined) {
      const n = lengthWithin(v, ch.minLength, ch.maxLength) ? -1 : codePoints(v);
      if (
        n >= 0 &&
        ((ch.minLength !== undefined && n < ch.minLength) || (ch.maxLength !== undefined && n > ch.maxLength))
      ) {
        out = code(out, 'LENGTH_OUT_OF_RANGE', ch, i, indexed);
      }
    }
    if (ch.pattern !== undefined && (ch.pattern === null || !ch.pattern.testExact(v)))
      out = code(out, 'PATTERN_MISMATCH', ch, i, indexed);
    if (ch.format !== undefined && !ch.format(v)) out = code(out, 'FORMAT_MISMATCH', ch, i, indexed);
  } else if (Array.isArray(v)) {
    if (
      (ch.minLength !== undefined && v.length < ch.minLength) ||
      (ch.maxLength !== undefined && v.length > ch.maxLength)
    ) {
      out = code(out, 'LENGTH_OUT_OF_RANGE', ch, i, indexed);
    }
  }
  return out;
}

const T_ANY = 0;
const T_STRING = 1;
const T_NUMBER = 2;
const T_INTEGER = 3;
const T_BOOLEAN = 4;
const T_ARRAY = 5;
/** Any other declared type name checks for a plain object, as before. */
const T_OBJECT = 6;
const TYPE_CODES = new Map<string, number>([
  ['string', T_STRING],
  ['number', T_NUMBER],
  ['integer', T_INTEGER],
  ['boolean', T_BOOLEAN],
  ['array', T_ARRAY],
]);

function hasType(v: unknown, t: number): boolean {
  switch (t) {
    case T_STRING:
      return typeof v === 'string';
    case T_NUMBER:
      return typeof v === 'number' && Number.isFinite(v);
    case T_INTEGER:
      return typeof v === 'number' && Number.isInteger(v);
    case T_BOOLEAN:
      return typeof v === 'boolean';
    case T_ARRAY:
      return Array.isArray(v);
    default:
      return isPlainObject(v);
  }
}

/**
 * A string of n UTF-16 units has between ceil(n/2) and n code points: when that whole interval
 * is within [min, max] the count cannot fail, and the per-character count is skipped.
 */
function lengthWithin(s: string, min: number | undefined, max: number | undefined): boolean {
  return (max === undefined || s.length <= max) && (min === undefined || (s.length + 1) >> 1 >= min);
}

/**
 * Code points, as JSON Schema counts length (and as `[...s].length` does): a surrogate pair is
 * one, a lone surrogate (JSON can escape one) is one on its own.
 */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Runs when the policy names a contract; CONTRACT_NOT_FOUND when the snapshot lacks it. */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    const ds = j.ds!;
    if (ds.policy.contract_id === undefined) return null;
    if (ds.contract === undefined) return ['CONTRACT_NOT_FOUND'];
    const d = j.decoded!;
    return d.ok ? evaluate(ds.contract, d.value) : null;
  },
};
