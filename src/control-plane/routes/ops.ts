/**
 * Ops toggles (audited; enforcers pick them up through the snapshot within one poll).
 * Never-set toggles read as their defaults with version 0, so `If-Match: "0"` means "still unset".
 */
import Type from 'typebox';
import { DatasetOpsToggles, type DatasetPolicy, GlobalOpsToggles } from '../../models/index.js';
import { AuditReasonHeader, auditReason } from '../audit-reason.js';
import { canManageDataset, canManageGlobal } from '../authz.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, NO_CONTENT, principal, withEtag } from '../http.js';
import {
  type StoredDatasetOps,
  StoredDatasetOps as StoredDatasetOpsSchema,
  StoredGlobalOps,
  UrnParams,
} from '../schemas.js';
import { DEFAULT_GLOBAL_OPS, GLOBAL_OPS_KEY } from '../snapshot.js';
import type { ControlPlaneStore } from '../store/types.js';
import { checkDatasetOps, parseEtags, sameContent } from '../validation.js';
import { versionedDelete } from '../versioned-delete.js';
import { PutQuery, versionedPut } from '../versioned-put.js';

const IfMatch = Type.Object({ 'if-match': Type.Optional(Type.String()), ...AuditReasonHeader });
const NEVER = { version: 0, updated_at: new Date(0).toISOString(), updated_by: '' };

export function opsRoutes(app: App, store: ControlPlaneStore): void {
  const policyOf = async (urn: string) => {
    const policy = await store.get<DatasetPolicy>('policy', urn);
    if (!policy) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}`);
    return policy;
  };

  app.put(
    '/v1/datasets/:dataset_urn/ops',
    {
      schema: {
        tags: ['ops'],
        summary: 'Set the dataset ops toggles: actions_paused, mode_override, disabled_gates',
        security: BEARER,
        querystring: PutQuery,
        params: UrnParams,
        headers: IfMatch,
        body: DatasetOpsToggles,
        response: {
          200: { ...StoredDatasetOpsSchema, description: 'Updated or unchanged' },
          201: { ...StoredDatasetOpsSchema, description: 'First set' },
          ...errorResponses(400, 401, 403, 404, 412, 415, 422, 500),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const input = req.body;
      let policy: DatasetPolicy | undefined;
      const r = await versionedPut<StoredDatasetOps>(store, {
        dryRun: req.query.dry_run === true,
        kind: 'dataset_ops',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        reason: auditReason(req.headers['x-audit-reason']),
        action: () => 'ops.dataset.put',
        guard: async () => {
          policy = await policyOf(urn);
          enforce(canManageDataset(p, policy.owners));
        },
        same: (cur) => sameContent(cur, { dataset_urn: urn, ...input }),
        validate: async () => checkDatasetOps(input, policy!),
        build: (_cur, version, at) => ({ dataset_urn: urn, ...input, version, updated_at: at, updated_by: p.sub }),
      });
      return withEtag(reply, r.doc.version)
        .code(r.created ? 201 : 200)
        .send(r.doc);
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/ops',
    {
      schema: {
        tags: ['ops'],
        summary: 'The dataset ops toggles (defaults with version 0 when never set)',
        security: BEARER,
        params: UrnParams,
        response: { 200: StoredDatasetOpsSchema, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req, reply) => {
      const urn = req.params.dataset_urn;
      await policyOf(urn);
      const cur = (await store.get<StoredDatasetOps>('dataset_ops', urn)) ?? {
        dataset_urn: urn,
        actions_paused: false,
        disabled_gates: [],
        ...NEVER,
      };
      return withEtag(reply, cur.version).send(cur);
    },
  );

  app.put(
    '/v1/ops/global',
    {
      schema: {
        tags: ['ops'],
        summary: 'Set global toggles: safe_mode only emits evidence, everywhere (admin)',
        security: BEARER,
        querystring: PutQuery,
        headers: IfMatch,
        body: GlobalOpsToggles,
        response: {
          200: { ...StoredGlobalOps, description: 'Updated or unchanged' },
          201: { ...StoredGlobalOps, description: 'First set' },
          ...errorResponses(400, 401, 403, 412, 415, 500),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const input = req.body;
      const r = await versionedPut<StoredGlobalOps>(store, {
        dryRun: req.query.dry_run === true,
        kind: 'global_ops',
        key: GLOBAL_OPS_KEY,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        reason: auditReason(req.headers['x-audit-reason']),
        action: () => 'ops.global.put',
        guard: async () => enforce(canManageGlobal(p)),
        same: (cur) => sameContent(cur, input),
        build: (_cur, version, at) => ({ ...input, version, updated_at: at, updated_by: p.sub }),
      });
      return withEtag(reply, r.doc.version)
        .code(r.created ? 201 : 200)
        .send(r.doc);
    },
  );

  app.get(
    '/v1/ops/global',
    {
      schema: {
        tags: ['ops'],
        summary: 'The global toggles (defaults with version 0 when never set)',
        security: BEARER,
        response: { 200: StoredGlobalOps, ...errorResponses(401, 500) },
      },
    },
    async (_req, reply) => {
      const cur = (await store.get<StoredGlobalOps>('global_ops', GLOBAL_OPS_KEY)) ?? {
        ...DEFAULT_GLOBAL_OPS,
        ...NEVER,
      };
      return withEtag(reply, cur.version).send(cur);
    },
  );

  // Deleting toggles resets them to their defaults: 204 whether or not they were set (audited when they were).
  app.delete(
    '/v1/datasets/:dataset_urn/ops',
    {
      schema: {
        tags: ['ops'],
        summary: 'Reset the dataset ops toggles to their defaults (audited when they were set)',
        security: BEARER,
        params: UrnParams,
        headers: IfMatch,
        response: { ...NO_CONTENT, ...errorResponses(400, 401, 403, 404, 412, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      await versionedDelete<StoredDatasetOps>(store, {
        kind: 'dataset_ops',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        reason: auditReason(req.headers['x-audit-reason']),
        action: 'ops.dataset.delete',
        guard: async (cur) => {
          const policy = await store.get<DatasetPolicy>('policy', urn);
          if (!policy && !cur) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}`);
          enforce(canManageDataset(p, policy?.owners ?? []));
        },
      });
      return reply.code(204).send();
    },
  );

  app.delete(
    '/v1/ops/global',
    {
      schema: {
        tags: ['ops'],
        summary: 'Reset the global toggles to their defaults (admin; audited when they were set)',
        security: BEARER,
        headers: IfMatch,
        response: { ...NO_CONTENT, ...errorResponses(401, 403, 412, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      await versionedDelete<StoredGlobalOps>(store, {
        kind: 'global_ops',
        key: GLOBAL_OPS_KEY,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        reason: auditReason(req.headers['x-audit-reason']),
        action: 'ops.global.delete',
        guard: async () => enforce(canManageGlobal(p)),
      });
      return reply.code(204).send();
    },
  );
}
