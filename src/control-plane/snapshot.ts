/**
 * The change feed behind GET /v1/snapshot. The watermark is read BEFORE the entities, so the
 * content is at least as new as its version: a change racing the build is at worst served
 * twice, never missed (the next poll sees a higher watermark and rebuilds).
 */
import type {
  DataContract,
  DatasetOpsToggles,
  DatasetPolicy,
  GlobalOpsToggles,
  PolicySnapshot,
} from '../models/index.js';
import { type StoredShadow, shadowView } from './policy/shadow.js';
import { DEPRECATION_FIELDS, type StoredDatasetOps, type StoredGlobalOps, type StoredResolution } from './schemas.js';
import type { ControlPlaneStore } from './store/types.js';

export const GLOBAL_OPS_KEY = 'global';
export const DEFAULT_GLOBAL_OPS: GlobalOpsToggles = { safe_mode: false };

export interface BuiltSnapshot {
  version: number;
  json: string;
}

/** A contract as the enforcers see it: no store version, no deprecation (existing uses keep working). */
export function contractView(c: DataContract & { version?: number }): DataContract {
  const { version: _v, ...rest } = c as DataContract & Record<string, unknown>;
  for (const k of DEPRECATION_FIELDS) delete rest[k];
  return rest;
}

export function datasetOpsView(o: StoredDatasetOps): DatasetOpsToggles {
  return {
    actions_paused: o.actions_paused,
    disabled_gates: o.disabled_gates,
    ...(o.mode_override === undefined ? {} : { mode_override: o.mode_override }),
  };
}

export class SnapshotFeed {
  private cached: BuiltSnapshot | undefined;
  private building: Promise<BuiltSnapshot> | undefined;

  constructor(private readonly store: ControlPlaneStore) {}

  watermark(): Promise<number> {
    return this.store.watermark();
  }

  async current(): Promise<BuiltSnapshot> {
    const w = await this.store.watermark();
    if (this.cached && this.cached.version === w) return this.cached;
    // One build at a time: N enforcers polling after a change cost one scan, not N.
    this.building ??= this.build(w).finally(() => {
      this.building = undefined;
    });
    const built = await this.building;
    return built.version >= w ? built : this.build(w);
  }

  private async build(version: number): Promise<BuiltSnapshot> {
    const s = this.store;
    const [policies, shadows, resolutions, contracts, datasetOps, globalOps] = await Promise.all([
      s.all<DatasetPolicy>('policy'),
      s.all<StoredShadow>('shadow'),
      s.all<StoredResolution>('resolution'),
      s.all<DataContract & { version: number }>('contract'),
      s.all<StoredDatasetOps>('dataset_ops'),
      s.all<StoredGlobalOps>('global_ops'),
    ]);
    const g = globalOps.find((o) => o.version > 0);
    const body: PolicySnapshot = {
      version,
      policies,
      // Only when a candidate is attached: the feed is unchanged for everyone else.
      ...(shadows.length > 0 ? { shadows: shadows.map(shadowView) } : {}),
      resolution: resolutions.flatMap((r) => r.rules),
      contracts: contracts.map(contractView),
      ops: {
        global: g ? { safe_mode: g.safe_mode } : DEFAULT_GLOBAL_OPS,
        datasets: Object.fromEntries(datasetOps.map((o) => [o.dataset_urn, datasetOpsView(o)])),
      },
    };
    const built = { version, json: JSON.stringify(body) };
    if (!this.cached || this.cached.version < version) this.cached = built;
    return built;
  }
}
