/**
 * Which methods each route path answers, so a wrong method on a known path is 405 with `Allow`
 * instead of a 404 that suggests the path does not exist. Fed by the onRoute hook.
 */
export class KnownPaths {
  private readonly paths = new Map<string, { match: RegExp; methods: Set<string> }>();

  add(method: string | string[], url: string): void {
    let p = this.paths.get(url);
    if (!p) {
      // `:param` matches one path segment, as fastify's router does for these routes.
      const source = url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      p = { match: new RegExp(`^${source}/?$`), methods: new Set() };
      this.paths.set(url, p);
    }
    for (const m of Array.isArray(method) ? method : [method]) p.methods.add(m);
  }

  /** The methods of the route matching `path` (sorted), or [] when no route has this path. */
  allowed(path: string): string[] {
    const out = new Set<string>();
    for (const p of this.paths.values()) if (p.match.test(path)) for (const m of p.methods) out.add(m);
    return [...out].sort();
  }
}
