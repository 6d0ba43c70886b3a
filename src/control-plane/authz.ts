/**
 * Authorisation rules (pure). Reads need any valid token. `admin` may change everything.
 * Anyone else may manage a dataset only when its owners include one of their teams, and may
 * not hand a dataset to a team they are not in. `service` (the enforcer) is read-only.
 */
import type { Principal } from './auth.js';

export const ROLE_ADMIN = 'admin';
export const ROLE_SERVICE = 'service';

export type Decision = { ok: true } | { ok: false; reason: string };
const allow: Decision = { ok: true };
const deny = (reason: string): Decision => ({ ok: false, reason });

export const isAdmin = (p: Principal) => p.roles.includes(ROLE_ADMIN);

/**
 * @param current owners of the stored dataset (undefined: it does not exist yet)
 * @param next owners after the change (undefined: the change leaves owners alone)
 */
export function canManageDataset(
  p: Principal,
  current: readonly string[] | undefined,
  next?: readonly string[],
): Decision {
  if (isAdmin(p)) return allow;
  const mine = new Set(p.teams);
  if (current !== undefined && !current.some((t) => mine.has(t))) {
    return deny(`${p.sub} is in none of the owning teams (${current.join(', ')})`);
  }
  if (next !== undefined) {
    const had = new Set(current ?? []);
    const handed = next.filter((t) => !had.has(t) && !mine.has(t));
    if (handed.length > 0)
      return deny(`${p.sub} may not hand the dataset to team(s) it is not in: ${handed.join(', ')}`);
    if (current === undefined && !next.some((t) => mine.has(t))) return deny(`${p.sub} must be in an owning team`);
  }
  return allow;
}

/** Contracts belong to no dataset: any admin or team member may add one (they are immutable). */
export function canCreateContract(p: Principal): Decision {
  return isAdmin(p) || p.teams.length > 0 ? allow : deny(`${p.sub} has no team`);
}

/** Deprecation affects every future user of a contract: its creator or an admin decides. */
export function canDeprecateContract(p: Principal, createdBy: string): Decision {
  return isAdmin(p) || p.sub === createdBy
    ? allow
    : deny(`only ${createdBy} (who created it) or an admin may deprecate it`);
}

export function canManageGlobal(p: Principal): Decision {
  return isAdmin(p) ? allow : deny('global ops toggles need the admin role');
}
