/**
 * The one delete path: If-Match aware, audited in the same transaction, refused (409 IN_USE)
 * while something depends on the entity. The dependency check and the delete are pinned to one
 * watermark, so a dependent created in between turns the commit into a retry that sees it.
 */
import { ApiError, VersionConflictError } from './errors.js';
import type { AuditAction } from './schemas.js';
import type { ControlPlaneStore, EntityKind, Versioned } from './store/types.js';
import { ifMatchOk } from './versioned-put.js';

export interface Dependent {
  kind: EntityKind;
  path: string;
}

export interface DeletePlan<T extends Versioned> {
  kind: EntityKind;
  key: string;
  ifMatch: (number | '*')[] | undefined;
  actor: string;
  action: AuditAction;
  /** 403/404 decisions against the current state (current is undefined: nothing stored). */
  guard(current: T | undefined): Promise<void>;
  /** Why (X-Audit-Reason), kept in the audit entry. */
  reason?: string;
  /** What still needs this entity; non-empty refuses the delete. */
  dependents?(): Promise<Dependent[]>;
}

const MAX_ATTEMPTS = 8;

/** Deletes the entity; returns what was deleted, or undefined when nothing was stored. */
export async function versionedDelete<T extends Versioned>(
  store: ControlPlaneStore,
  plan: DeletePlan<T>,
): Promise<T | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const w = await store.watermark();
    const current = await store.get<T>(plan.kind, plan.key);
    await plan.guard(current);
    if (!current) return undefined;
    if (!ifMatchOk(plan.ifMatch, current.version)) {
      throw new ApiError('PRECONDITION_FAILED', `If-Match does not match the current version (${current.version})`, {
        current_version: current.version,
      });
    }
    const dependents = (await plan.dependents?.()) ?? [];
    if (dependents.length > 0) {
      throw new ApiError(
        'IN_USE',
        `${plan.key} is still needed by: ${dependents.map((d) => d.path).join(', ')}; delete those first`,
        { dependents },
      );
    }
    const at = new Date().toISOString();
    try {
      await store.commit({
        kind: plan.kind,
        key: plan.key,
        expectedVersion: current.version,
        doc: null,
        atWatermark: w,
        audit: {
          at,
          actor: plan.actor,
          action: plan.action,
          target: plan.key,
          before_version: current.version,
          after_version: null,
          ...(plan.reason === undefined ? {} : { reason: plan.reason }),
        },
      });
      return current;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
    }
  }
  throw new ApiError('PRECONDITION_FAILED', 'too many concurrent changes to this entity; retry');
}
