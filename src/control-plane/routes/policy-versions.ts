/**
 * Policy history with content (issue 18 item 4): every audited change of a dataset's policy with
 * the full body it left, one version's body, and a structured diff between two versions.
 * Readable by any authenticated principal, like GET .../policy.
 */
import Type from 'typebox';
import { DatasetPolicy } from '../../models/index.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, errorResponses, withEtag } from '../http.js';
import { type Change, jsonDiff } from '../policy/diff.js';
import { policyVersion } from '../policy/history.js';
import { AuditEntry, Page, PageQuery, UrnParams } from '../schemas.js';
import type { ControlPlaneStore } from '../store/types.js';

const VersionNumber = Type.Integer({ minimum: 1, description: 'A policy version (the ETag of a past GET)' });

const ChangeSchema = Type.Object({
  op: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('replace')]),
  path: Type.String({ description: 'JSON Pointer into the policy' }),
  from_value: Type.Optional(Type.Unknown()),
  value: Type.Optional(Type.Unknown()),
});

const Side = Type.Object({
  version: Type.Integer(),
  seq: Type.Integer({ description: 'The audit entry that made this version' }),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
});

export const PolicyDiff = Type.Object({
  dataset_urn: Type.String(),
  from: Side,
  to: Side,
  changes: Type.Array(ChangeSchema, {
    description: 'JSON Patch (RFC 6902) turning `from` into `to`; version, updated_at, updated_by are left out',
  }),
});

/** Server-managed fields: they change with every version and say nothing about the policy. */
const META = ['version', 'updated_at', 'updated_by'];
const content = (p: DatasetPolicy) =>
  Object.fromEntries(Object.entries(p).filter(([k]) => !META.includes(k))) as Record<string, unknown>;

export function policyVersionRoutes(app: App, store: ControlPlaneStore): void {
  app.get(
    '/v1/datasets/:dataset_urn/policy/versions',
    {
      schema: {
        tags: ['policies'],
        summary: "The policy's audited changes, newest first (GET .../versions/{n} has each body)",
        security: BEARER,
        params: UrnParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(AuditEntry), ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req) => {
      const page = await store.history('policy', req.params.dataset_urn, {
        limit: req.query.limit ?? 100,
        cursor: req.query.cursor,
      });
      if (page.items.length === 0 && req.query.cursor === undefined) {
        throw new ApiError('DATASET_NOT_FOUND', `no policy history for ${req.params.dataset_urn}`);
      }
      return { items: page.items.map(({ body: _b, ...entry }) => entry), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/policy/versions/:version',
    {
      schema: {
        tags: ['policies'],
        summary: 'The full policy as it was at one version (ETag: that version)',
        security: BEARER,
        params: Type.Object({ ...UrnParams.properties, version: VersionNumber }),
        response: { 200: DatasetPolicy, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req, reply) => {
      const v = await policyVersion(store, req.params.dataset_urn, req.params.version);
      return withEtag(reply, v.policy.version).send(v.policy);
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/policy/versions/:version/diff/:other',
    {
      schema: {
        tags: ['policies'],
        summary: 'What changed from one policy version to another, as JSON Patch operations',
        security: BEARER,
        params: Type.Object({ ...UrnParams.properties, version: VersionNumber, other: VersionNumber }),
        response: { 200: PolicyDiff, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req) => {
      const urn = req.params.dataset_urn;
      const a = await policyVersion(store, urn, req.params.version);
      const b = await policyVersion(store, urn, req.params.other);
      const side = (v: typeof a) => ({
        version: v.policy.version,
        seq: v.entry.seq,
        at: v.entry.at,
        actor: v.entry.actor,
      });
      const changes: Change[] = jsonDiff(content(a.policy), content(b.policy));
      return { dataset_urn: urn, from: side(a), to: side(b), changes };
    },
  );
}
