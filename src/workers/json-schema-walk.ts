/**
 * Rewrites of a writer document before an engine sees it, each for a documented rule the
 * engines get wrong, and the copy helpers they share. Every copy sets keys as own properties:
 * `out[k] = v` with k === "__proto__" would set the prototype and lose the property.
 */
import { type Draft, refHidesSiblings } from './json-schema-draft.js';

/** Keywords whose values are data, not schemas: never rewritten. */
export const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * The document an engine compiles:
 * - up to draft-07, a `$ref` hides its siblings (both engines apply them): they are dropped,
 *   except the containers a JSON Pointer may still reach (`definitions`, `$defs`) and the
 *   root's `$id` (other registry schemas reference the document by it);
 * - in 2020-12, `format` is an annotation (the default format-annotation vocabulary; the
 *   suite checks this), so it is dropped; drafts up to 2019-09 assert it, as before;
 * - a `properties` entry named `__proto__` is lost by both engines: it moves to
 *   `patternProperties` as `^__proto__$`, which matches exactly that name and counts for
 *   `additionalProperties` the same way.
 */
export function prepareDocument(doc: unknown, draft: Draft): unknown {
  return prepare(doc, { hideSiblings: refHidesSiblings(draft), formatAnnotates: draft === '2020-12' }, true);
}

interface Rules {
  hideSiblings: boolean;
  formatAnnotates: boolean;
}

const KEEP_BESIDE_REF = new Set(['$ref', 'definitions', '$defs']);

function prepare(node: unknown, r: Rules, root: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => prepare(n, r, false));
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const refOnly = r.hideSiblings && typeof src.$ref === 'string';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (refOnly && !KEEP_BESIDE_REF.has(k) && !(root && (k === '$id' || k === '$schema'))) continue;
    if (DATA_KEYWORDS.has(k)) setOwn(out, k, v);
    else if (k === 'format' && typeof v === 'string' && r.formatAnnotates) continue;
    else if (k === 'properties' && isMap(v)) setOwn(out, k, propertiesMap(v, r));
    else setOwn(out, k, prepare(v, r, false));
  }
  const proto = isMap(src.properties) ? ownSchema(src.properties, '__proto__') : undefined;
  if (proto !== undefined && !refOnly) {
    const pp: Record<string, unknown> = isMap(out.patternProperties) ? { ...out.patternProperties } : {};
    const key = '^__proto__$';
    const moved = prepare(proto, r, false);
    pp[key] = pp[key] === undefined ? moved : { allOf: [pp[key], moved] };
    out.patternProperties = pp;
  }
  return out;
}

function propertiesMap(map: Record<string, unknown>, r: Rules): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) if (k !== '__proto__') setOwn(out, k, prepare(v, r, false));
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function ownSchema(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? Object.getOwnPropertyDescriptor(o, k)?.value : undefined;
}
