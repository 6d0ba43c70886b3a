/**
 * The ops console (docs/console.md): static files built by `npm run build` into dist/ui, served
 * at /ui/. The pages call the public /v1 API with the user's own token, so this module serves
 * files only and holds no data path of its own. A checkout that was never built answers 503
 * CONSOLE_NOT_BUILT instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { ApiError } from './errors.js';
import type { App } from './http.js';

/** dist/src/control-plane/console.js -> dist/ui/ (esbuild's output, see package.json "build"). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

// Everything the pages load comes from this origin; no inline scripts. uPlot sets inline styles.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export async function consoleRoutes(app: App, dir = CONSOLE_DIR): Promise<void> {
  app.get('/ui', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/', 308));
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/ui/*', { schema: { hide: true } }, async () => {
      throw new ApiError('CONSOLE_NOT_BUILT', `the console is not built (no ${dir}index.html): run npm run build`);
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/ui/',
    schemaHide: true,
    // The token lives in sessionStorage, never in a cookie; still, no page of ours may be framed.
    setHeaders: (res) => {
      res.header('content-security-policy', CSP);
      res.header('x-content-type-options', 'nosniff');
      res.header('referrer-policy', 'no-referrer');
      res.header('cache-control', 'no-cache');
    },
  });
}
