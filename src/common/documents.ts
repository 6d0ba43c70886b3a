/**
 * Reading policy-as-code files, the one way `apply` and `validate` both read them: `.json` is
 * JSON (one document, or an array of documents); anything else is YAML, `---`-separated
 * documents allowed. A document is either `{kind, spec}` (what `apply` takes) or, for
 * `validate`'s single-entity options, the bare spec.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A file that cannot be read or parsed; the message names the file. */
export class DocumentError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/** The documents of one file, in order; empty YAML documents are skipped. */
export function readDocuments(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DocumentError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (extname(file) === '.json') {
    try {
      const v: unknown = JSON.parse(text);
      return Array.isArray(v) ? v : [v];
    } catch (err) {
      throw new DocumentError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = parseAllDocuments(text);
  const all = Array.isArray(parsed) ? parsed : [parsed];
  const bad = all.find((d) => d.errors.length > 0);
  if (bad) throw new DocumentError(`${file} is not valid YAML: ${bad.errors[0].message}`);
  return all.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
}

const isKindDoc = (d: unknown): d is { kind: unknown; spec: unknown } =>
  d !== null && typeof d === 'object' && 'kind' in d && 'spec' in d;

/**
 * The one `kind` document of a file (or its one bare document), as its spec: how `validate`
 * reads `--policy` and `--contract`, so an apply file works there too.
 */
export function readSpec(file: string, kind: string): Record<string, unknown> {
  const docs = readDocuments(file);
  const ofKind = docs.filter((d) => isKindDoc(d) && d.kind === kind);
  if (ofKind.length === 1) return specObject(file, kind, (ofKind[0] as { spec: unknown }).spec);
  if (ofKind.length > 1)
    throw new DocumentError(`${file} holds ${ofKind.length} ${kind} documents; pass a file with one`);
  const bare = docs.filter((d) => !isKindDoc(d));
  if (docs.length === 1 && bare.length === 1) return specObject(file, kind, bare[0]);
  const kinds = docs.filter(isKindDoc).map((d) => String(d.kind));
  throw new DocumentError(
    kinds.length > 0
      ? `${file} holds no ${kind} document (found ${kinds.join(', ')})`
      : `${file} holds ${docs.length} documents; expected one ${kind}`,
  );
}

function specObject(file: string, kind: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new DocumentError(`${file}: the ${kind} must be an object`);
  }
  return v as Record<string, unknown>;
}
