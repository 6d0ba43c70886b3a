/** Reading a policy's history (store.history) by version: the newest incarnation wins. */
import type { DatasetPolicy } from '../../models/index.js';
import { ApiError } from '../errors.js';
import type { ControlPlaneStore, HistoryEntry } from '../store/types.js';

const PAGE = 200;

export interface PolicyVersion {
  entry: HistoryEntry;
  policy: DatasetPolicy;
}

/**
 * The stored body of version n. A deleted and re-created policy counts from 1 again, so a
 * number can appear twice in the log: the most recent one is meant (the older is still listed).
 */
export async function policyVersion(store: ControlPlaneStore, urn: string, version: number): Promise<PolicyVersion> {
  let cursor: string | undefined;
  let seen = false;
  do {
    const page = await store.history('policy', urn, { limit: PAGE, cursor });
    seen ||= page.items.length > 0;
    const hit = page.items.find((e) => e.after_version === version && e.body !== null);
    if (hit) return { entry: hit, policy: hit.body as DatasetPolicy };
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  if (!seen) throw new ApiError('DATASET_NOT_FOUND', `no policy history for ${urn}`);
  throw new ApiError('POLICY_VERSION_NOT_FOUND', `policy ${urn} has no version ${version}`, { version });
}
