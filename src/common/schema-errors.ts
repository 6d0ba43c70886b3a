/**
 * TypeBox validation errors as one line for a person: the first complaint per location, and
 * for an enum (a union of literals, or `enum`) the allowed values rather than one
 * "must be equal to constant" per branch.
 */
export interface SchemaIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: unknown;
}

export function describeSchemaErrors(errors: Iterable<SchemaIssue>, max = 3): string {
  const byPath = new Map<string, { allowed: unknown[]; message?: string }>();
  for (const e of errors) {
    const path = e.instancePath || '/';
    const entry = byPath.get(path) ?? { allowed: [] };
    byPath.set(path, entry);
    const p = (e.params ?? {}) as { allowedValue?: unknown; allowedValues?: unknown[] };
    if (e.keyword === 'const' && 'allowedValue' in p) entry.allowed.push(p.allowedValue);
    else if (Array.isArray(p.allowedValues)) entry.allowed.push(...p.allowedValues);
    else if (e.keyword !== 'anyOf' && entry.message === undefined) entry.message = e.message;
  }
  const lines = [...byPath].map(([path, { allowed, message }]) =>
    allowed.length > 0
      ? `${path} must be one of ${allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`
      : `${path} ${message ?? 'is invalid'}`,
  );
  return lines.slice(0, max).join('; ') || 'is invalid';
}
