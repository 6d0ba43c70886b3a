import Type, { type Static } from 'typebox';
import { ContractId } from './common.js';
import { PII_CLASSES } from './gates.js';
import { PiiClassSchema } from './policy.js';

/**
 * One field rule of a data contract. `path` is dot-separated from the payload root;
 * `[]` applies the rule to every element of an array (`items[].sku`).
 */
export const ContractField = Type.Object(
  {
    path: Type.String({ pattern: '^[A-Za-z0-9_$-]+(\\[\\])?(\\.[A-Za-z0-9_$-]+(\\[\\])?)*$', maxLength: 256 }),
    required: Type.Optional(Type.Boolean()),
    type: Type.Optional(Type.Enum(['string', 'number', 'integer', 'boolean', 'object', 'array'] as const)),
    enum: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1 })),
    minimum: Type.Optional(Type.Number()),
    maximum: Type.Optional(Type.Number()),
    /** A regular expression the whole string must match; compiled once per contract version. */
    pattern: Type.Optional(Type.String({ maxLength: 512 })),
    min_length: Type.Optional(Type.Integer({ minimum: 0 })),
    max_length: Type.Optional(Type.Integer({ minimum: 0 })),
    format: Type.Optional(Type.Enum(['date-time', 'date', 'email', 'uuid', 'uri', 'ipv4', 'ipv6'] as const)),
    /** PII classes this field may lawfully carry. */
    pii: Type.Optional(Type.Array(PiiClassSchema, { uniqueItems: true, maxItems: PII_CLASSES.length })),
  },
  { additionalProperties: false },
);
export type ContractField = Static<typeof ContractField>;

export const DataContractInput = Type.Object(
  {
    contract_id: ContractId,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    fields: Type.Array(ContractField, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
);
export type DataContractInput = Static<typeof DataContractInput>;

export const DataContract = Type.Object(
  {
    ...DataContractInput.properties,
    created_at: Type.String({ format: 'date-time' }),
    created_by: Type.String(),
  },
  { additionalProperties: false },
);
export type DataContract = Static<typeof DataContract>;
