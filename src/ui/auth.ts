/**
 * Where the console's bearer token comes from. Development login: a pasted token, or
 * `/ui/?token=<jwt>`, kept in sessionStorage (gone when the tab closes) and removed from the
 * address bar at once so it stays out of history and screenshots. An OIDC flow later is another
 * TokenSource: the pages only ever call `token()`.
 */
const KEY = 'sf.console.token';

export interface TokenSource {
  token(): string | null;
  set(token: string): void;
  clear(): void;
}

export const sessionTokens: TokenSource = {
  token: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t.trim()),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Moves `?token=` from the address bar into the token source (call once at start). */
export function adoptTokenFromUrl(source: TokenSource, loc: Location = location): void {
  const url = new URL(loc.href);
  const t = url.searchParams.get('token');
  if (t === null) return;
  if (t.trim() !== '') source.set(t);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

/** The token's claims for display only (the server verifies; the console never trusts them). */
export function claims(token: string | null): { sub?: string; roles?: string[]; teams?: string[]; exp?: number } {
  if (!token) return {};
  try {
    const part = token.split('.')[1] ?? '';
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return {};
  }
}
