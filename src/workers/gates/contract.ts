/**
 * CONTRACT: business rules of a data contract (required fields and domain constraints),
 * compiled once per contract version into flat checks: parsed paths, Sets for enums,
 * anchored RegExps, format functions. Reason codes name the concrete path (`items[2].sku`).
 */
import { Format } from 'typebox/format';
import type { ContractField, DataContract } from '../../models/contract.js';
import { isPlainObject, type PathSeg, parseFieldPath } from './paths.js';
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
  enumSet?: Set<unknown>;
  minimum?: number;
  maximum?: number;
  pattern?: RegExp;
  minLength?: number;
  maxLength?: number;
  format?: (s: string) => boolean;
}

export interface CompiledContract {
  contractId: string;
  checks: Check[];
  /** Declared PII allowances: generic path (`items[].note`) -> classes. Used by the PII gate. */
  pii: Map<string, Set<string>>;
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
  const checks = contract.fields.map((f: ContractField): Check => {
    if (f.pii?.length) pii.set(f.path, new Set(f.pii));
    const fmt = f.format ? Format.Get(FORMATS[f.format]) : undefined;
    return {
      segs: parseFieldPath(f.path),
      required: f.required === true,
      type: f.type,
      enumSet: f.enum ? new Set<unknown>(f.enum) : undefined,
      minimum: f.minimum,
      maximum: f.maximum,
      // Whole-string match: anchored once here, never per record.
      pattern: f.pattern !== undefined ? anchored(f.pattern) : undefined,
      minLength: f.min_length,
      maxLength: f.max_length,
      format: fmt,
    };
  });
  return { contractId: contract.contract_id, checks, pii };
}

/** Unicode mode when the pattern allows it (JSON Schema semantics), else plain; a bad pattern never matches. */
function anchored(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    try {
      return new RegExp(`^(?:${pattern})$`);
    } catch {
      return /(?!)/;
    }
  }
}

export function evaluate(c: CompiledContract, value: unknown): string[] | null {
  let out: string[] | null = null;
  for (let i = 0; i < c.checks.length; i++) out = walk(c.checks[i], value, 0, '', out);
  return out;
}

function walk(ch: Check, cur: unknown, i: number, path: string, out: string[] | null): string[] | null {
  const seg = ch.segs[i];
  const here = path === '' ? seg.key : `${path}.${seg.key}`;
  const v = isPlainObject(cur) ? cur[seg.key] : undefined;
  const last = i === ch.segs.length - 1;
  if (seg.each) {
    if (v === undefined || v === null) return out; // no array, no elements to check
    if (!Array.isArray(v)) return pushCode(out ?? [], `TYPE_MISMATCH:${here}`);
    for (let k = 0; k < v.length; k++) {
      const at = `${here}[${k}]`;
      out = last ? leaf(ch, v[k], at, out) : walk(ch, v[k], i + 1, at, out);
    }
    return out;
  }
  if (last) return leaf(ch, v, here, out);
  if (v === undefined || v === null)
    return ch.required ? pushCode(out ?? [], `MISSING_FIELD:${pathToEnd(ch, i, here)}`) : out;
  if (typeof v !== 'object') return pushCode(out ?? [], `TYPE_MISMATCH:${here}`);
  return walk(ch, v, i + 1, here, out);
}

/** The missing field is named by its full path even when a parent is absent (`customer.id`). */
function pathToEnd(ch: Check, i: number, here: string): string {
  let p = here;
  for (let k = i + 1; k < ch.segs.length && !ch.segs[k - 1].each; k++) p += `.${ch.segs[k].key}`;
  return p;
}

function leaf(ch: Check, v: unknown, at: string, out: string[] | null): string[] | null {
  if (v === undefined || v === null) return ch.required ? pushCode(out ?? [], `MISSING_FIELD:${at}`) : out;
  if (ch.type !== undefined && !hasType(v, ch.type)) return pushCode(out ?? [], `TYPE_MISMATCH:${at}`);
  if (ch.enumSet !== undefined && !ch.enumSet.has(v)) out = pushCode(out ?? [], `NOT_IN_ENUM:${at}`);
  if (typeof v === 'number') {
    if ((ch.minimum !== undefined && v < ch.minimum) || (ch.maximum !== undefined && v > ch.maximum)) {
      out = pushCode(out ?? [], `OUT_OF_RANGE:${at}`);
    }
  } else if (typeof v === 'string') {
    if (ch.minLength !== undefined || ch.maxLength !== undefined) {
      const n = codePoints(v);
      if ((ch.minLength !== undefined && n < ch.minLength) || (ch.maxLength !== undefined && n > ch.maxLength)) {
        out = pushCode(out ?? [], `LENGTH_OUT_OF_RANGE:${at}`);
      }
    }
    if (ch.pattern !== undefined && !ch.pattern.test(v)) out = pushCode(out ?? [], `PATTERN_MISMATCH:${at}`);
    if (ch.format !== undefined && !ch.format(v)) out = pushCode(out ?? [], `FORMAT_MISMATCH:${at}`);
  } else if (Array.isArray(v)) {
    if (
      (ch.minLength !== undefined && v.length < ch.minLength) ||
      (ch.maxLength !== undefined && v.length > ch.maxLength)
    ) {
      out = pushCode(out ?? [], `LENGTH_OUT_OF_RANGE:${at}`);
    }
  }
  return out;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    default:
      return isPlainObject(v);
  }
}

/** Code points, as JSON Schema counts length; .length is exact when there are no surrogates. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}
