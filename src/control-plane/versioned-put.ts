/**
 * The one write path of every PUT: optimistic versioning with If-Match, idempotency (the same
 * content again is a no-op, version included) and retry when a concurrent change wins the race.
 * A dry run (`?dry_run=true`) takes the same path up to the commit and stops there, so it answers
 * exactly what the real PUT would (status, body, version) and refuses exactly what it would refuse.
 */
import Type from 'typebox';
import { ApiError, VersionConflictError } from './errors.js';
import type { AuditAction } from './schemas.js';
import type { ControlPlaneStore, EntityKind, Versioned } from './store/types.js';

export interface PutPlan<T extends Versioned> {
  kind: EntityKind;
  key: string;
  /** Parsed If-Match; `0` matches an entity that does not exist yet. */
  ifMatch: (number | '*')[] | undefined;
  actor: string;
  action(current: T | undefined): AuditAction;
  /** 403/404/409 decisions against the current state; runs on every attempt. */
  guard(current: T | undefined): Promise<void>;
  same(current: T): boolean;
  /** 422 checks of the new content; runs once. */
  validate?(): Promise<void>;
  /** Checks across entities; the commit is pinned to the watermark they were made at. */
  crossCheck?(): Promise<void>;
  build(current: T | undefined, version: number, at: string): T;
  /** Why (X-Audit-Reason), kept in the audit entry. */
  reason?: string;
  /** Run every check and build the document, but store and audit nothing. */
  dryRun?: boolean;
}

/** The querystring of every PUT route. */
export const PutQuery = Type.Object({
  dry_run: Type.Optional(
    Type.Boolean({
      description:
        'Validate only: the answer is what this PUT would return (201/200, the version it would get), nothing is stored or audited',
    }),
  ),
});

export interface PutResult<T> {
  created: boolean;
  changed: boolean;
  doc: T;
}

const MAX_ATTEMPTS = 8;

export function ifMatchOk(ifMatch: (number | '*')[] | undefined, version: number | undefined): boolean {
  if (ifMatch === undefined) return true;
  return ifMatch.some((m) => (m === '*' ? version !== undefined : m === (version ?? 0)));
}

export async function versionedPut<T extends Versioned>(
  store: ControlPlaneStore,
  plan: PutPlan<T>,
): Promise<PutResult<T>> {
  let validated = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const w = plan.crossCheck ? await store.watermark() : undefined;
    const current = await store.get<T>(plan.kind, plan.key);
    await plan.guard(current);
    if (!ifMatchOk(plan.ifMatch, current?.version)) {
      throw new ApiError(
        'PRECONDITION_FAILED',
        `If-Match does not match the current version (${current?.version ?? 0})`,
        {
          current_version: current?.version ?? 0,
        },
      );
    }
    if (current && plan.same(current)) return { created: false, changed: false, doc: current };
    if (!validated) {
      await plan.validate?.();
      validated = true;
    }
    await plan.crossCheck?.();
    const version = (current?.version ?? 0) + 1;
    const at = new Date().toISOString();
    const doc = plan.build(current, version, at);
    if (plan.dryRun) return { created: current === undefined, changed: true, doc };
    try {
      await store.commit({
        kind: plan.kind,
        key: plan.key,
        expectedVersion: current?.version ?? null,
        doc,
        atWatermark: w,
        audit: {
          at,
          actor: plan.actor,
          action: plan.action(current),
          target: plan.key,
          before_version: current?.version ?? null,
          after_version: version,
          ...(plan.reason === undefined ? {} : { reason: plan.reason }),
        },
      });
      return { created: current === undefined, changed: true, doc };
    } catch (err) {
      // Lost the race: re-read; the If-Match check above turns this into a 412 when pinned.
      if (!(err instanceof VersionConflictError)) throw err;
    }
  }
  throw new ApiError('PRECONDITION_FAILED', 'too many concurrent changes to this entity; retry');
}
