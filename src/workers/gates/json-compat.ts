/**
 * Can a reader JSON Schema accept every document a writer JSON Schema accepts? A sound,
 * conservative rule set: it never calls an incompatible pair compatible for the keywords it
 * understands, and any change to a keyword it does not model (anyOf, oneOf, allOf, not,
 * if/then/else, dependencies, patternProperties, ...) counts as incompatible. Each problem is
 * reported with the field path where it sits.
 */
import { canonicalJson, resolvePointer } from '../schemas.js';
import { childPath } from './paths.js';

type S = Record<string, unknown> | boolean | undefined;

const UNMODELLED = [
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'patternProperties',
  'propertyNames',
  'contains',
  'additionalItems',
  'multipleOf',
  'uniqueItems',
];

const MAX_DEPTH = 32;

/** Paths (reason-code style, '' = root) where `writer` documents may not satisfy `reader`. */
export function readerAcceptsWriter(reader: Record<string, unknown>, writer: Record<string, unknown>): string[] {
  const out: string[] = [];
  check(reader, reader, writer, writer, '', out, 0);
  return out;
}

function deref(doc: Record<string, unknown>, s: S): S {
  for (let i = 0; i < 8 && s && typeof s === 'object' && typeof s.$ref === 'string'; i++) {
    const ref = s.$ref as string;
    if (!ref.startsWith('#')) return s; // cross-document refs are compared structurally
    s = resolvePointer(doc, ref.slice(1)) as S;
  }
  return s;
}

function acceptsAll(s: S): boolean {
  if (s === undefined || s === true) return true;
  if (s === false) return false;
  return Object.keys(s).every(
    (k) =>
      k === '$schema' ||
      k === '$id' ||
      k === 'title' ||
      k === 'description' ||
      k === '$comment' ||
      k === 'definitions' ||
      k === '$defs' ||
      k === 'default' ||
      k === 'examples',
  );
}

function types(s: Record<string, unknown>): Set<string> | null {
  const t = s.type;
  if (t === undefined) return null;
  return new Set(Array.isArray(t) ? (t as string[]) : [t as string]);
}

function check(
  rDoc: Record<string, unknown>,
  r0: S,
  wDoc: Record<string, unknown>,
  w0: S,
  path: string,
  out: string[],
  depth: number,
): void {
  const r = deref(rDoc, r0);
  const w = deref(wDoc, w0);
  if (acceptsAll(r) || w === false) return;
  if (r === false || w === true || w === undefined) {
    out.push(path);
    return;
  }
  const R = r as Record<string, unknown>;
  const W = w as Record<string, unknown>;
  if (depth > MAX_DEPTH || typeof R.$ref === 'string' || typeof W.$ref === 'string') {
    if (canonicalJson(R) !== canonicalJson(W)) out.push(path);
    return;
  }
  const before = out.length;
  const bad = () => {
    if (out.length === before) out.push(path);
  };
  for (const k of UNMODELLED) {
    if ((R[k] !== undefined || W[k] !== undefined) && canonicalJson(R[k]) !== canonicalJson(W[k])) bad();
  }
  // type: every writer type must be a reader type (integer fits in number).
  const rt = types(R);
  if (rt) {
    const wt = types(W);
    if (!wt) bad();
    else for (const t of wt) if (!rt.has(t) && !(t === 'integer' && rt.has('number'))) bad();
  }
  // enum/const: the writer's values must all be reader values.
  const rEnum = R.const !== undefined ? [R.const] : (R.enum as unknown[] | undefined);
  if (rEnum) {
    const wEnum = W.const !== undefined ? [W.const] : (W.enum as unknown[] | undefined);
    const allowed = new Set(rEnum.map(canonicalJson));
    if (!wEnum || wEnum.some((v) => !allowed.has(canonicalJson(v)))) bad();
  }
  // lower bounds: the writer's must be at least as tight.
  for (const k of ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']) {
    const rv = R[k];
    if (typeof rv === 'number' && !(typeof W[k] === 'number' && (W[k] as number) >= rv) && !tighterLower(k, rv, W))
      bad();
  }
  for (const k of ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']) {
    const rv = R[k];
    if (typeof rv === 'number' && !(typeof W[k] === 'number' && (W[k] as number) <= rv) && !tighterUpper(k, rv, W))
      bad();
  }
  for (const k of ['pattern', 'format']) if (R[k] !== undefined && R[k] !== W[k]) bad();
  // required: the reader may not require what the writer does not.
  const wReq = new Set((W.required as string[] | undefined) ?? []);
  for (const p of (R.required as string[] | undefined) ?? []) if (!wReq.has(p)) out.push(childPath(path, p));
  objectRules(rDoc, R, wDoc, W, path, out, depth);
  if (R.items !== undefined && !Array.isArray(R.items)) {
    check(rDoc, R.items as S, wDoc, Array.isArray(W.items) ? undefined : (W.items as S), `${path}[]`, out, depth + 1);
  } else if (Array.isArray(R.items) && canonicalJson(R.items) !== canonicalJson(W.items)) bad();
}

function tighterLower(k: string, rv: number, W: Record<string, unknown>): boolean {
  // exclusiveMinimum x is at least as tight as minimum x; the reverse is not.
  return k === 'minimum' && typeof W.exclusiveMinimum === 'number' && W.exclusiveMinimum >= rv;
}
function tighterUpper(k: string, rv: number, W: Record<string, unknown>): boolean {
  return k === 'maximum' && typeof W.exclusiveMaximum === 'number' && W.exclusiveMaximum <= rv;
}

function objectRules(
  rDoc: Record<string, unknown>,
  R: Record<string, unknown>,
  wDoc: Record<string, unknown>,
  W: Record<string, unknown>,
  path: string,
  out: string[],
  depth: number,
): void {
  const rp = (R.properties as Record<string, S> | undefined) ?? {};
  const wp = (W.properties as Record<string, S> | undefined) ?? {};
  const rAdd = R.additionalProperties as S;
  const wAdd = W.additionalProperties as S;
  for (const [name, rs] of Object.entries(rp)) {
    // A property the writer does not declare may still appear unless the writer is closed.
    const ws = name in wp ? wp[name] : wAdd === false ? false : wAdd;
    check(rDoc, rs, wDoc, ws, childPath(path, name), out, depth + 1);
  }
  for (const [name, ws] of Object.entries(wp)) {
    if (name in rp) continue;
    // A property removed from the reader is fine only if the reader's content model admits it.
    check(rDoc, rAdd, wDoc, ws, childPath(path, name), out, depth + 1);
  }
  // Undeclared properties: reported at the object itself (closing an open content model).
  if (rAdd !== undefined && rAdd !== true)
    check(rDoc, rAdd, wDoc, wAdd === undefined ? true : wAdd, path, out, depth + 1);
}
