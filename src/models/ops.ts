import Type, { type Static } from 'typebox';
import { GATES } from './gates.js';
import { EnforcementMode, GateNameSchema } from './policy.js';

/** Per-dataset operational toggles (audited; picked up by running enforcers within seconds). */
export const DatasetOpsToggles = Type.Object(
  {
    /** Evidence is still emitted, but no quarantine write and no republish. */
    actions_paused: Type.Boolean({ default: false }),
    /** Replaces the policy's enforcement_mode while set. */
    mode_override: Type.Optional(EnforcementMode),
    /** Gates skipped for this dataset (RESOLUTION cannot be disabled). */
    disabled_gates: Type.Array(GateNameSchema, { uniqueItems: true, maxItems: GATES.length, default: [] }),
  },
  { additionalProperties: false },
);
export type DatasetOpsToggles = Static<typeof DatasetOpsToggles>;

/** Global toggles: safe mode only emits evidence (no actions anywhere). */
export const GlobalOpsToggles = Type.Object(
  { safe_mode: Type.Boolean({ default: false }) },
  { additionalProperties: false },
);
export type GlobalOpsToggles = Static<typeof GlobalOpsToggles>;
