/** Data contracts: versioned ids, immutable once created; deprecated instead of deleted. */
import Type from 'typebox';
import { DataContractInput } from '../../models/index.js';
import { canCreateContract, canDeprecateContract } from '../authz.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, principal } from '../http.js';
import { ContractParams, ContractView, Page, PageQuery } from '../schemas.js';
import type { ControlPlaneStore } from '../store/types.js';
import { checkContract, sameContent } from '../validation.js';
import { PutQuery, versionedPut } from '../versioned-put.js';

type StoredContract = ContractView & { version: number };

/** The API's view: everything but the store's version. */
function view(c: StoredContract): ContractView {
  const { version: _v, ...rest } = c;
  return rest;
}

export function contractRoutes(app: App, store: ControlPlaneStore): void {
  app.put(
    '/v1/contracts/:contract_id',
    {
      schema: {
        tags: ['contracts'],
        summary: 'Create a contract version (201); the same body again is 200, a different one 409',
        security: BEARER,
        querystring: PutQuery,
        params: ContractParams,
        body: DataContractInput,
        response: {
          200: { ...ContractView, description: 'Already exists with this exact content' },
          201: { ...ContractView, description: 'Created' },
          ...errorResponses(400, 401, 403, 409, 415, 422, 500),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const id = req.params.contract_id;
      const input = req.body;
      if (input.contract_id !== id) {
        throw new ApiError('ID_MISMATCH', `body contract_id ${input.contract_id} differs from the path ${id}`, {
          path: '/contract_id',
        });
      }
      const r = await versionedPut<StoredContract>(store, {
        dryRun: req.query.dry_run === true,
        kind: 'contract',
        key: id,
        ifMatch: undefined,
        actor: p.sub,
        action: () => 'contract.create',
        guard: async (cur) => {
          enforce(canCreateContract(p));
          if (cur && !sameContent(cur, input)) {
            throw new ApiError('CONTRACT_IMMUTABLE', `${id} exists with different content; publish a new version id`);
          }
        },
        same: (cur) => sameContent(cur, input),
        validate: async () => checkContract(input),
        build: (_cur, version, at) => ({ ...input, version, created_at: at, created_by: p.sub }),
      });
      return reply.code(r.created ? 201 : 200).send(view(r.doc));
    },
  );

  app.get(
    '/v1/contracts/:contract_id',
    {
      schema: {
        tags: ['contracts'],
        summary: 'One contract version',
        security: BEARER,
        params: ContractParams,
        response: { 200: ContractView, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req) => {
      const cur = await store.get<StoredContract>('contract', req.params.contract_id);
      if (!cur) throw new ApiError('CONTRACT_NOT_FOUND', `no contract ${req.params.contract_id}`);
      return view(cur);
    },
  );

  app.get(
    '/v1/contracts',
    {
      schema: {
        tags: ['contracts'],
        summary: 'All contract versions (deprecated ones included, marked), paginated by cursor',
        security: BEARER,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(ContractView), ...errorResponses(400, 401, 500) },
      },
    },
    async (req) => {
      const page = await store.list<StoredContract>('contract', {
        limit: req.query.limit ?? 100,
        cursor: req.query.cursor,
      });
      return { items: page.items.map(view), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/v1/contracts/:contract_id/deprecate',
    {
      schema: {
        tags: ['contracts'],
        summary: 'Deprecate a contract version (audited): policies that use it keep working, none may newly use it',
        security: BEARER,
        params: ContractParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why, and what to use instead' }) },
          { additionalProperties: false },
        ),
        response: {
          200: { ...ContractView, description: 'Deprecated (or already deprecated: unchanged)' },
          ...errorResponses(400, 401, 403, 404, 415, 500),
        },
      },
    },
    async (req) => {
      const p = principal(req);
      const id = req.params.contract_id;
      const r = await versionedPut<StoredContract>(store, {
        kind: 'contract',
        key: id,
        ifMatch: undefined,
        actor: p.sub,
        action: () => 'contract.deprecate',
        guard: async (cur) => {
          if (!cur) throw new ApiError('CONTRACT_NOT_FOUND', `no contract ${id}`);
          enforce(canDeprecateContract(p, cur.created_by));
        },
        same: (cur) => cur.deprecated_at !== undefined,
        build: (cur, version, at) => ({
          ...cur!,
          version,
          deprecated_at: at,
          deprecated_by: p.sub,
          deprecation_reason: req.body.reason,
        }),
      });
      return view(r.doc);
    },
  );
}
