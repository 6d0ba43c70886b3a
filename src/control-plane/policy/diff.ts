/**
 * A structured diff between two JSON documents, as JSON Patch (RFC 6902) operations that turn
 * `from` into `to`, each also carrying the old value so a reader needs neither document.
 * Arrays compare by index (policies hold short lists: owners, pii rules). Small code: no diff
 * library is installed (microdiff or rfc6902 would do the same job).
 */

export interface Change {
  op: 'add' | 'remove' | 'replace';
  /** JSON Pointer (RFC 6901) into the documents. */
  path: string;
  /** The old value (remove, replace). */
  from_value?: unknown;
  /** The new value (add, replace). */
  value?: unknown;
}

const pointerToken = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function jsonDiff(from: unknown, to: unknown, path = '', out: Change[] = []): Change[] {
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const k of keys) {
      const p = `${path}/${pointerToken(k)}`;
      if (!(k in to)) out.push({ op: 'remove', path: p, from_value: from[k] });
      else if (!(k in from)) out.push({ op: 'add', path: p, value: to[k] });
      else jsonDiff(from[k], to[k], p, out);
    }
    return out;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const common = Math.min(from.length, to.length);
    for (let i = 0; i < common; i++) jsonDiff(from[i], to[i], `${path}/${i}`, out);
    for (let i = common; i < to.length; i++) out.push({ op: 'add', path: `${path}/${i}`, value: to[i] });
    // Highest index first, so the operations apply in order as a JSON Patch.
    for (let i = from.length - 1; i >= common; i--)
      out.push({ op: 'remove', path: `${path}/${i}`, from_value: from[i] });
    return out;
  }
  if (!Object.is(from, to)) out.push({ op: 'replace', path, from_value: from, value: to });
  return out;
}
