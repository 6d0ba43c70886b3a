/**
 * A shadow policy: a candidate body for a dataset that enforcers judge live records by, beside
 * the active policy, without acting on the result (issue 18 item 5). At most one per dataset,
 * stored as entity kind `shadow` under the dataset URN; `version` counts the candidate's changes.
 */
import Type, { type Static } from 'typebox';
import { DatasetPolicy } from '../../models/index.js';

export const StoredShadow = Type.Object({
  ...DatasetPolicy.properties,
  based_on_version: Type.Integer({
    minimum: 1,
    description: 'The active policy version when the candidate was attached',
  }),
});
export type StoredShadow = Static<typeof StoredShadow>;

/** The candidate as enforcers see it in the snapshot: a policy (its version is the candidate's). */
export function shadowView(s: StoredShadow): DatasetPolicy {
  const { based_on_version: _b, ...policy } = s;
  return policy;
}
