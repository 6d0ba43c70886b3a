/** Dataset policies (design section 5) and their resolution rules. */
import Type from 'typebox';
import { DatasetPolicy, DatasetPolicyInput, DatasetResolution, type ResolutionRule } from '../../models/index.js';
import { canManageDataset } from '../authz.js';
import { DatasetFilters, filterPage, hasFilter } from '../dataset-filter.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, NO_CONTENT, principal, withEtag } from '../http.js';
import { checkPolicyInput, checkSameUrn } from '../policy/check-input.js';
import { findConflicts, ruleProblems } from '../resolution-rules.js';
import type { SchemaRegistry } from '../schema-registry.js';
import { Page, PageQuery, StoredResolution, UrnParams } from '../schemas.js';
import type { ControlPlaneStore } from '../store/types.js';
import { parseEtags, sameContent } from '../validation.js';
import { versionedDelete } from '../versioned-delete.js';
import { PutQuery, versionedPut } from '../versioned-put.js';

const IfMatch = Type.Object({ 'if-match': Type.Optional(Type.String({ description: 'ETag (version) from a GET' })) });

export function datasetRoutes(app: App, store: ControlPlaneStore, schemas: SchemaRegistry): void {
  app.put(
    '/v1/datasets/:dataset_urn/policy',
    {
      schema: {
        tags: ['policies'],
        summary: 'Create (201) or update (200) the complete policy of a dataset; idempotent, If-Match aware',
        security: BEARER,
        querystring: PutQuery,
        params: UrnParams,
        headers: IfMatch,
        body: DatasetPolicyInput,
        response: {
          200: { ...DatasetPolicy, description: 'Updated, or unchanged when the same body is sent again' },
          201: { ...DatasetPolicy, description: 'Created' },
          ...errorResponses(400, 401, 403, 412, 415, 422, 500, 503),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const input = req.body;
      checkSameUrn(input, urn);
      let before: DatasetPolicy | undefined;
      const r = await versionedPut<DatasetPolicy>(store, {
        dryRun: req.query.dry_run === true,
        kind: 'policy',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        action: (cur) => (cur ? 'policy.update' : 'policy.create'),
        guard: async (cur) => {
          before = cur;
          enforce(canManageDataset(p, cur?.owners, input.owners));
        },
        same: (cur) => sameContent(cur, input),
        validate: () => checkPolicyInput(store, schemas, input, before?.contract_id),
        build: (_cur, version, at) => ({ ...input, version, updated_at: at, updated_by: p.sub }),
      });
      return withEtag(reply, r.doc.version)
        .code(r.created ? 201 : 200)
        .send(r.doc);
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/policy',
    {
      schema: {
        tags: ['policies'],
        summary: 'The active policy of a dataset (ETag: its version)',
        security: BEARER,
        params: UrnParams,
        response: { 200: DatasetPolicy, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req, reply) => {
      const cur = await store.get<DatasetPolicy>('policy', req.params.dataset_urn);
      if (!cur) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${req.params.dataset_urn}`);
      return withEtag(reply, cur.version).send(cur);
    },
  );

  app.get(
    '/v1/datasets',
    {
      schema: {
        tags: ['policies'],
        summary: 'Dataset policies in URN order, paginated by cursor; optional filters (q, tier, owner, mode) combine',
        security: BEARER,
        querystring: Type.Object({ ...PageQuery, ...DatasetFilters }),
        response: { 200: Page(DatasetPolicy), ...errorResponses(400, 401, 500) },
      },
    },
    async (req) => {
      const { limit = 100, cursor, ...filters } = req.query;
      if (!hasFilter(filters)) return store.list<DatasetPolicy>('policy', { limit, cursor });
      return filterPage(await store.all<DatasetPolicy>('policy'), filters, { limit, cursor });
    },
  );

  app.put(
    '/v1/datasets/:dataset_urn/resolution',
    {
      schema: {
        tags: ['resolution'],
        summary: "Replace the dataset's resolution rules (rules claiming another dataset's records are rejected)",
        security: BEARER,
        querystring: PutQuery,
        params: UrnParams,
        headers: IfMatch,
        body: DatasetResolution,
        response: {
          200: { ...StoredResolution, description: 'Updated or unchanged' },
          201: { ...StoredResolution, description: 'Created' },
          ...errorResponses(400, 401, 403, 404, 409, 412, 415, 422, 500),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const rules = req.body.rules;
      const r = await versionedPut<StoredResolution>(store, {
        dryRun: req.query.dry_run === true,
        kind: 'resolution',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        action: () => 'resolution.put',
        guard: async () => {
          const policy = await store.get<DatasetPolicy>('policy', urn);
          if (!policy) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}: create it first`);
          enforce(canManageDataset(p, policy.owners));
        },
        same: (cur) => sameContent(cur, { dataset_urn: urn, rules }),
        validate: async () => {
          const problems = ruleProblems(urn, rules);
          if (problems.some((x) => x.message.startsWith('dataset_urn'))) {
            throw new ApiError('ID_MISMATCH', `every rule's dataset_urn must be ${urn}`, problems);
          }
          if (problems.length > 0) throw new ApiError('INVALID_RESOLUTION_RULE', 'invalid resolution rules', problems);
        },
        crossCheck: async () => {
          const others: ResolutionRule[] = (await store.all<StoredResolution>('resolution'))
            .filter((o) => o.dataset_urn !== urn)
            .flatMap((o) => o.rules);
          const conflicts = findConflicts(rules, others);
          if (conflicts.length > 0) {
            throw new ApiError(
              'RESOLUTION_CONFLICT',
              'rules would make two datasets claim the same records; add distinct extraction_rules',
              conflicts.map((c) => ({ path: `/rules/${c.index}`, conflicts_with: c.other })),
            );
          }
        },
        build: (_cur, version, at) => ({ dataset_urn: urn, rules, version, updated_at: at, updated_by: p.sub }),
      });
      return withEtag(reply, r.doc.version)
        .code(r.created ? 201 : 200)
        .send(r.doc);
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/resolution',
    {
      schema: {
        tags: ['resolution'],
        summary: "The dataset's resolution rules (ETag: their version)",
        security: BEARER,
        params: UrnParams,
        response: { 200: StoredResolution, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req, reply) => {
      const cur = await store.get<StoredResolution>('resolution', req.params.dataset_urn);
      if (!cur) throw new ApiError('DATASET_NOT_FOUND', `no resolution rules for ${req.params.dataset_urn}`);
      return withEtag(reply, cur.version).send(cur);
    },
  );

  app.delete(
    '/v1/datasets/:dataset_urn/policy',
    {
      schema: {
        tags: ['policies'],
        summary: 'Delete the policy (audited); 409 IN_USE while its resolution rules or ops toggles exist',
        security: BEARER,
        params: UrnParams,
        headers: IfMatch,
        response: { ...NO_CONTENT, ...errorResponses(400, 401, 403, 404, 409, 412, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const path = (sub: string) => `/v1/datasets/${encodeURIComponent(urn)}/${sub}`;
      await versionedDelete<DatasetPolicy>(store, {
        kind: 'policy',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        action: 'policy.delete',
        guard: async (cur) => {
          if (!cur) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}`);
          enforce(canManageDataset(p, cur.owners));
        },
        dependents: async () => [
          ...((await store.get('resolution', urn)) ? [{ kind: 'resolution' as const, path: path('resolution') }] : []),
          ...((await store.get('dataset_ops', urn)) ? [{ kind: 'dataset_ops' as const, path: path('ops') }] : []),
        ],
      });
      return reply.code(204).send();
    },
  );

  app.delete(
    '/v1/datasets/:dataset_urn/resolution',
    {
      schema: {
        tags: ['resolution'],
        summary: "Delete the dataset's resolution rules (audited): its records no longer resolve to it",
        security: BEARER,
        params: UrnParams,
        headers: IfMatch,
        response: { ...NO_CONTENT, ...errorResponses(400, 401, 403, 404, 412, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      await versionedDelete<StoredResolution>(store, {
        kind: 'resolution',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        action: 'resolution.delete',
        guard: async (cur) => {
          if (!cur) throw new ApiError('DATASET_NOT_FOUND', `no resolution rules for ${urn}`);
          const policy = await store.get<DatasetPolicy>('policy', urn);
          enforce(canManageDataset(p, policy?.owners ?? []));
        },
      });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/resolution',
    {
      schema: {
        tags: ['resolution'],
        summary: "Every dataset's resolution rules, paginated by cursor",
        security: BEARER,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(StoredResolution), ...errorResponses(400, 401, 500) },
      },
    },
    async (req) =>
      store.list<StoredResolution>('resolution', { limit: req.query.limit ?? 100, cursor: req.query.cursor }),
  );
}
