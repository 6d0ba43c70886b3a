/** A field-level diff of two JSON documents (policy versions), by dot path. */
export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

function flatten(v: unknown, path: string, out: Map<string, unknown>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) out.set(path, {});
    for (const [k, x] of entries) flatten(x, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, v);
  }
}

/** Changed, added (before undefined) and removed (after undefined) fields; server-managed ones skipped. */
export function diffDocs(a: unknown, b: unknown, skip = ['version', 'updated_at', 'updated_by']): Change[] {
  const x = new Map<string, unknown>();
  const y = new Map<string, unknown>();
  flatten(a, '', x);
  flatten(b, '', y);
  const paths = [...new Set([...x.keys(), ...y.keys()])].filter((p) => !skip.includes(p)).sort();
  return paths
    .filter((p) => JSON.stringify(x.get(p)) !== JSON.stringify(y.get(p)))
    .map((p) => ({ path: p, before: x.get(p), after: y.get(p) }));
}
