/**
 * Field paths as reason codes name them (INTERFACE.md): dot-separated from the payload root,
 * `[i]` for array elements. Parsing happens once per policy/contract version; formatting
 * happens only on the failure path.
 */

/** One step of a contract path: `items[]` is {key:'items', each:true}. */
export interface PathSeg {
  key: string;
  each: boolean;
}

/** `items[].sku` -> [{items, each}, {sku}]; `customer.email` -> two plain segments. */
export function parseFieldPath(path: string): PathSeg[] {
  return path
    .split('.')
    .map((part) => (part.endsWith('[]') ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
}

/** A plain dotted lookup (`meta.producer`) for extraction rules and identity claims. */
export function getDotted(root: unknown, keys: readonly string[]): unknown {
  let cur = root;
  for (let i = 0; i < keys.length; i++) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[keys[i]];
  }
  return cur;
}

export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * JSON Pointer (`/items/2/sku`) -> reason-code path (`items[2].sku`). The value is walked
 * alongside so that a numeric key of an object stays a key and an array index becomes `[i]`.
 */
export function pointerToPath(pointer: string, root: unknown): string {
  if (pointer === '' || pointer === '/') return '';
  let out = '';
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out += `[${key}]`;
      cur = cur[Number(key)];
    } else {
      out = childPath(out, key);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** `items[2].sku` -> `items[].sku`: how a concrete path meets a contract's declared path. */
export function genericPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

/** A non-null, non-array, non-binary object (decoded Avro bytes are Buffers). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}
