import Type from 'typebox';

/** Dataset identifiers: `urn:<namespace>:<domain>:<name>` (e.g. urn:dp:orders:created). */
export const DatasetUrn = Type.String({
  pattern: '^urn:[a-z0-9][a-z0-9_-]*(:[a-zA-Z0-9._-]+){2,}$',
  maxLength: 256,
  description: 'Namespaced dataset identifier, e.g. urn:dp:orders:created',
});

/** Glue schema reference: `glue:<schema name>:<version number>`; the registry comes from SF_GLUE_REGISTRY. */
const SCHEMA_ID_PATTERN = '^glue:([A-Za-z0-9._-]+):([0-9]+)$';
const SCHEMA_ID = new RegExp(SCHEMA_ID_PATTERN);

/** `glue:<schema name>:<version>` -> its parts, or null when the id is not of that form. */
export function parseSchemaId(id: string): { name: string; version: number } | null {
  const m = SCHEMA_ID.exec(id);
  return m ? { name: m[1], version: Number(m[2]) } : null;
}

export const SchemaId = Type.String({
  pattern: SCHEMA_ID_PATTERN,
  maxLength: 300,
  description: 'Writer schema in the Glue registry: glue:<schema name>:<version>',
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
