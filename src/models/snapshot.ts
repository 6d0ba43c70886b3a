import Type, { type Static } from 'typebox';
import { DataContract } from './contract.js';
import { DatasetOpsToggles, GlobalOpsToggles } from './ops.js';
import { DatasetPolicy } from './policy.js';
import { ResolutionRule } from './resolution.js';

/**
 * Everything an enforcer needs, as served by GET /v1/snapshot (the change feed).
 * `version` is the store-wide watermark: it increases on every change of any policy,
 * resolution rule, contract or ops toggle, and is the response's ETag.
 */
export const PolicySnapshot = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  policies: Type.Array(DatasetPolicy),
  /** Shadow candidates (at most one per dataset): enforcers judge records by them too, without actions. */
  shadows: Type.Optional(Type.Array(DatasetPolicy)),
  /** Every dataset's resolution rules, flattened. */
  resolution: Type.Array(ResolutionRule),
  contracts: Type.Array(DataContract),
  ops: Type.Object({
    global: GlobalOpsToggles,
    /** Keyed by dataset_urn; datasets without toggles are absent. */
    datasets: Type.Record(Type.String(), DatasetOpsToggles),
  }),
});
export type PolicySnapshot = Static<typeof PolicySnapshot>;
