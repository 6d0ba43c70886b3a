/** Read feeds: the enforcer's snapshot (change feed) and the audit log. */
import Type from 'typebox';
import { PolicySnapshot } from '../../models/index.js';
import { type App, BEARER, errorResponses } from '../http.js';
import { AuditEntry, Page, PageQuery } from '../schemas.js';
import type { SnapshotFeed } from '../snapshot.js';
import type { ControlPlaneStore } from '../store/types.js';
import { etag, parseEtags } from '../validation.js';

export function feedRoutes(app: App, store: ControlPlaneStore, feed: SnapshotFeed): void {
  app.get(
    '/v1/snapshot',
    {
      schema: {
        tags: ['change feed'],
        summary: 'Everything an enforcer needs; ETag is the store-wide watermark; If-None-Match gives 304',
        security: BEARER,
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
        response: {
          200: PolicySnapshot,
          304: { description: 'Unchanged since the ETag sent in If-None-Match', type: 'null' },
          ...errorResponses(401, 500),
        },
      },
    },
    async (req, reply) => {
      const known = parseEtags(req.headers['if-none-match']);
      if (known !== undefined) {
        // Cheap path: one watermark read per poll while nothing changes.
        const w = await feed.watermark();
        if (known.includes(w) || known.includes('*'))
          return reply
            .code(304)
            .header('etag', etag(w))
            .send(undefined as never);
      }
      const s = await feed.current();
      return reply
        .header('etag', etag(s.version))
        .type('application/json')
        .serializer((x: unknown) => x as string)
        .send(s.json as never);
    },
  );

  app.get(
    '/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first: who changed what, when, before/after version',
        security: BEARER,
        querystring: Type.Object({ ...PageQuery, target: Type.Optional(Type.String({ maxLength: 300 })) }),
        response: { 200: Page(AuditEntry), ...errorResponses(400, 401, 500) },
      },
    },
    async (req) => store.audit({ limit: req.query.limit ?? 100, cursor: req.query.cursor, target: req.query.target }),
  );
}
