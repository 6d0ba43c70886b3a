/** The JSON Schema drafts the SCHEMA gate validates, and how a document names its own. */
export type Draft = 'draft-04' | 'draft-06' | 'draft-07' | '2019-09' | '2020-12';

export const DRAFTS: readonly Draft[] = ['draft-04', 'draft-06', 'draft-07', '2019-09', '2020-12'];

/** The draft a document declares by `$schema` (http or https, with or without the empty fragment); else draft-07. */
export function draftOf(doc: unknown): Draft {
  const s = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>).$schema : undefined;
  if (typeof s !== 'string') return 'draft-07';
  const uri = s.replace(/^https?:\/\//, '').replace(/#$/, '');
  if (uri === 'json-schema.org/draft-04/schema') return 'draft-04';
  if (uri === 'json-schema.org/draft-06/schema') return 'draft-06';
  if (uri === 'json-schema.org/draft/2019-09/schema') return '2019-09';
  if (uri === 'json-schema.org/draft/2020-12/schema') return '2020-12';
  return 'draft-07';
}

/** Drafts up to 07 ignore every keyword beside a `$ref`. */
export const refHidesSiblings = (d: Draft) => d === 'draft-04' || d === 'draft-06' || d === 'draft-07';
