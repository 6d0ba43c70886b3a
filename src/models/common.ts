import Type from 'typebox';

/** Dataset identifiers: `urn:<namespace>:<domain>:<name>` (e.g. urn:dp:orders:created). */
export const DatasetUrn = Type.String({
  pattern: '^urn:[a-z0-9][a-z0-9_-]*(:[a-zA-Z0-9._-]+){2,}$',
  maxLength: 256,
  description: 'Namespaced dataset identifier, e.g. urn:dp:orders:created',
});

/**
 * Writer schema references, one form per registry:
 * - `glue:<schema name>:<version number>` (AWS Glue; the registry comes from SF_GLUE_REGISTRY);
 * - `csr:<subject>:<version number>` or `csr:id:<global id>` (a Confluent-compatible registry at
 *   SF_SCHEMA_REGISTRY_URL; `id` is therefore not usable as a subject name here).
 */
const SCHEMA_ID_PATTERN = '^(glue|csr):([A-Za-z0-9._-]+):([0-9]+)$';
const SCHEMA_ID = new RegExp(SCHEMA_ID_PATTERN);

export type RegistryKind = 'glue' | 'csr';

/**
 * A parsed schema reference. `name` is the Glue schema or Confluent subject (null for
 * `csr:id:<n>`, which names a global id, in `id`).
 */
export interface SchemaRef {
  registry: RegistryKind;
  name: string | null;
  version: number;
  id: number | null;
}

/** `glue:<name>:<v>`, `csr:<subject>:<v>` or `csr:id:<n>` -> its parts, or null when the id is none of these. */
export function parseSchemaRef(id: string): SchemaRef | null {
  const m = SCHEMA_ID.exec(id);
  if (!m) return null;
  const registry = m[1] as RegistryKind;
  const n = Number(m[3]);
  if (registry === 'csr' && m[2] === 'id') return { registry, name: null, version: 0, id: n };
  return { registry, name: m[2], version: n, id: null };
}

/** `glue:<schema name>:<version>` -> its parts, or null when the id is not of that form. */
export function parseSchemaId(id: string): { name: string; version: number } | null {
  const r = parseSchemaRef(id);
  return r !== null && r.registry === 'glue' ? { name: r.name!, version: r.version } : null;
}

/** The key a Confluent global schema id is known by (snapshot, caches, SCHEMA_ID rules). */
export const csrIdKey = (id: number): string => `csr:id:${id}`;

export const SchemaId = Type.String({
  pattern: SCHEMA_ID_PATTERN,
  maxLength: 300,
  description:
    'Writer schema: glue:<schema name>:<version> (Glue), csr:<subject>:<version> or csr:id:<id> (Confluent-compatible registry)',
});

/** Versioned data contract id: `dc:<name>:<version>` (e.g. dc:orders.created:3). */
export const ContractId = Type.String({
  pattern: '^dc:[A-Za-z0-9._-]+:[0-9]+$',
  maxLength: 300,
  description: 'Versioned data contract id: dc:<name>:<version>',
});

export const Confidence = Type.Union([Type.Literal('HIGH'), Type.Literal('MEDIUM'), Type.Literal('LOW')]);

export const TeamName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 128 });

/** Kafka topic names as Kafka allows them. */
export const TopicName = Type.String({ pattern: '^[a-zA-Z0-9._-]+$', maxLength: 249 });
