/** Data contracts: versioned ids, immutable once created. */
import { DataContract, DataContractInput } from '../../models/index.js';
import { canCreateContract } from '../authz.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, principal } from '../http.js';
import { ContractParams } from '../schemas.js';
import { contractView } from '../snapshot.js';
import type { ControlPlaneStore } from '../store/types.js';
import { checkContract, sameContent } from '../validation.js';
import { PutQuery, versionedPut } from '../versioned-put.js';

type StoredContract = DataContract & { version: number };

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
          200: { ...DataContract, description: 'Already exists with this exact content' },
          201: { ...DataContract, description: 'Created' },
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
      return reply.code(r.created ? 201 : 200).send(contractView(r.doc));
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
        response: { 200: DataContract, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req) => {
      const cur = await store.get<StoredContract>('contract', req.params.contract_id);
      if (!cur) throw new ApiError('CONTRACT_NOT_FOUND', `no contract ${req.params.contract_id}`);
      return contractView(cur);
    },
  );
}
