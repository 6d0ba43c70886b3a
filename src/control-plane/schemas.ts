/**
 * API-only shapes of the control plane (stored wrappers, pages, audit, errors). The domain
 * models themselves come from src/models, the single source of truth.
 */
import Type, { type Static, type TSchema } from 'typebox';
import {
  ContractId,
  DataContract,
  DatasetOpsToggles,
  DatasetUrn,
  GlobalOpsToggles,
  ResolutionRule,
} from '../models/index.js';

const Meta = {
  version: Type.Integer({ minimum: 0, description: 'Server-managed; increments on every change (0: never set)' }),
  updated_at: Type.String({ format: 'date-time' }),
  updated_by: Type.String(),
};

export const StoredResolution = Type.Object({
  dataset_urn: DatasetUrn,
  rules: Type.Array(ResolutionRule),
  ...Meta,
});
export type StoredResolution = Static<typeof StoredResolution>;

export const StoredDatasetOps = Type.Object({ dataset_urn: DatasetUrn, ...DatasetOpsToggles.properties, ...Meta });
export type StoredDatasetOps = Static<typeof StoredDatasetOps>;

export const StoredGlobalOps = Type.Object({ ...GlobalOpsToggles.properties, ...Meta });
export type StoredGlobalOps = Static<typeof StoredGlobalOps>;

/** Deprecation of a contract: content stays immutable; no policy may newly reference it. */
export const Deprecation = {
  deprecated_at: Type.Optional(Type.String({ format: 'date-time' })),
  deprecated_by: Type.Optional(Type.String()),
  deprecation_reason: Type.Optional(Type.String()),
};
export const DEPRECATION_FIELDS = Object.keys(Deprecation);

export const ContractView = Type.Object(
  { ...DataContract.properties, ...Deprecation },
  { additionalProperties: false },
);
export type ContractView = Static<typeof ContractView>;

export const AuditAction = Type.Union([
  Type.Literal('policy.create'),
  Type.Literal('policy.update'),
  Type.Literal('resolution.put'),
  Type.Literal('contract.create'),
  Type.Literal('ops.dataset.put'),
  Type.Literal('ops.global.put'),
  Type.Literal('policy.delete'),
  Type.Literal('resolution.delete'),
  Type.Literal('ops.dataset.delete'),
  Type.Literal('ops.global.delete'),
  Type.Literal('contract.deprecate'),
  Type.Literal('replay.run'),
  Type.Literal('shadow.attach'),
  Type.Literal('shadow.detach'),
  Type.Literal('policy.promote'),
]);
export type AuditAction = Static<typeof AuditAction>;

export const AuditEntry = Type.Object({
  seq: Type.Integer({ minimum: 1, description: 'The store watermark this change produced' }),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String({ description: 'JWT sub of the principal' }),
  action: AuditAction,
  target: Type.String({ description: 'dataset_urn, contract_id or "global"' }),
  before_version: Type.Union([Type.Integer(), Type.Null()]),
  after_version: Type.Union([Type.Integer(), Type.Null()], { description: 'null when the change deleted it' }),
  reason: Type.Optional(Type.String({ description: 'Why, as sent in the X-Audit-Reason header' })),
  details: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'What an action without an entity did (replay.run: counts)',
    }),
  ),
});
export type AuditEntry = Static<typeof AuditEntry>;

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page' }),
  });
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 1024 })),
};

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable machine-readable code (docs/errors.md)' }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

export const UrnParams = Type.Object({ dataset_urn: DatasetUrn });
export const ContractParams = Type.Object({ contract_id: ContractId });
