import Type, { type Static } from 'typebox';
import { Confidence, DatasetUrn } from './common.js';

/**
 * How a raw record is mapped to a dataset (design section 6.3).
 * - TOPIC: source_value is a topic name.
 * - TOPIC_PATTERN: source_value is a regular expression matched against the whole topic name.
 * - SCHEMA_ID: source_value is a Glue schema version id (UUID), `glue:<schema>:<version>`, a
 *   Confluent global id `csr:id:<n>` or `csr:<subject>:<version>` (what a framed record's writer is).
 * - HEADER: source_value is `<header name>=<value>`.
 * extraction_rule disambiguates records within a source: `<payload field path>=<value>`
 * or `header:<name>=<value>` (e.g. `event_type=orders.created`).
 */
export const SourceType = Type.Union([
  Type.Literal('TOPIC'),
  Type.Literal('TOPIC_PATTERN'),
  Type.Literal('SCHEMA_ID'),
  Type.Literal('HEADER'),
]);
export type SourceType = Static<typeof SourceType>;

export const ResolutionRule = Type.Object(
  {
    source_type: SourceType,
    source_value: Type.String({ minLength: 1, maxLength: 512 }),
    dataset_urn: DatasetUrn,
    resolution_confidence: Confidence,
    extraction_rule: Type.Optional(Type.String({ pattern: '^(header:)?[^=]+=.*$', maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type ResolutionRule = Static<typeof ResolutionRule>;

/** The rules a dataset owns: PUT /v1/datasets/{urn}/resolution. */
export const DatasetResolution = Type.Object(
  {
    rules: Type.Array(ResolutionRule, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type DatasetResolution = Static<typeof DatasetResolution>;
