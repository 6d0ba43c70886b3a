/**
 * Server-side filtering of GET /v1/datasets, so a console over 1,000 datasets asks for one page
 * of matches instead of downloading every policy. Filtered pages are cut from the policies in
 * key order with the same cursor the stores issue (the last key of the page), so a cursor from an
 * unfiltered page keeps working with filters and vice versa. One scan per request: fine for
 * thousands of policies; a store-side index is the step after that.
 */
import Type, { type Static } from 'typebox';
import { type DatasetPolicy, EnforcementMode, TeamName } from '../models/index.js';
import { decodeCursor, encodeCursor, type Page } from './store/types.js';

export const DatasetFilters = {
  q: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'Case-insensitive substring of the dataset URN' }),
  ),
  tier: Type.Optional(Type.Union([Type.Literal('TIER_1'), Type.Literal('TIER_2'), Type.Literal('TIER_3')])),
  owner: Type.Optional({ ...TeamName, description: 'Datasets this team owns' }),
  mode: Type.Optional({ ...EnforcementMode, description: 'The policy enforcement_mode' }),
};
const DatasetFiltersObject = Type.Object(DatasetFilters);
export type DatasetFilters = Static<typeof DatasetFiltersObject>;

export const hasFilter = (f: DatasetFilters) =>
  f.q !== undefined || f.tier !== undefined || f.owner !== undefined || f.mode !== undefined;

export function matches(p: DatasetPolicy, f: DatasetFilters): boolean {
  if (f.q !== undefined && !p.dataset_urn.toLowerCase().includes(f.q.toLowerCase())) return false;
  if (f.tier !== undefined && p.tier !== f.tier) return false;
  if (f.owner !== undefined && !p.owners.includes(f.owner)) return false;
  if (f.mode !== undefined && p.enforcement_mode !== f.mode) return false;
  return true;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** One page of the matching policies after `cursor`, in dataset_urn order. */
export function filterPage(
  all: DatasetPolicy[],
  f: DatasetFilters,
  opts: { limit: number; cursor?: string },
): Page<DatasetPolicy> {
  const after = opts.cursor === undefined ? '' : decodeCursor(opts.cursor, isString);
  const hits = all
    .filter((p) => p.dataset_urn > after && matches(p, f))
    .sort((a, b) => (a.dataset_urn < b.dataset_urn ? -1 : a.dataset_urn > b.dataset_urn ? 1 : 0));
  const items = hits.slice(0, opts.limit);
  const more = hits.length > opts.limit;
  return { items, next_cursor: more ? encodeCursor(items[items.length - 1].dataset_urn) : null };
}
