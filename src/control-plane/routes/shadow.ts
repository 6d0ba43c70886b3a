/**
 * Shadow policies (issue 18 item 5): attach a candidate policy to a dataset, read it, detach it,
 * see how its verdicts differ from the active policy's on live traffic, and promote it (one
 * audited call: the candidate becomes the active policy and is detached).
 */
import Type from 'typebox';
import { DatasetPolicy, DatasetPolicyInput } from '../../models/index.js';
import { canManageDataset } from '../authz.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, NO_CONTENT, principal, withEtag } from '../http.js';
import { checkPolicyInput, checkSameUrn } from '../policy/check-input.js';
import { StoredShadow } from '../policy/shadow.js';
import type { SchemaRegistry } from '../schema-registry.js';
import { UrnParams } from '../schemas.js';
import type { ShadowEvidenceSource } from '../shadow/reader.js';
import type { ControlPlaneStore } from '../store/types.js';
import { parseEtags, sameContent } from '../validation.js';
import { versionedDelete } from '../versioned-delete.js';
import { PutQuery, versionedPut } from '../versioned-put.js';

const IfMatch = Type.Object({ 'if-match': Type.Optional(Type.String({ description: 'ETag (version) from a GET' })) });

const Flip = Type.Object({
  records: Type.Integer(),
  by_reason: Type.Record(Type.String(), Type.Integer(), { description: 'reason code -> records carrying it' }),
});

export const ShadowReport = Type.Object({
  dataset_urn: Type.String(),
  shadow_version: Type.Integer(),
  records: Type.Integer({ description: 'Records judged by the candidate since it was attached at this version' }),
  unchanged: Type.Integer(),
  pass_to_fail: { ...Flip, description: "Would start failing: by the candidate's reason codes" },
  fail_to_pass: { ...Flip, description: "Would start passing: by the active policy's reason codes" },
  fail_codes_changed: Type.Integer({ description: 'Fail under both, with different reason codes' }),
  active_versions: Type.Array(Type.Integer()),
});

/** Fields of the stored candidate that are not the policy body. */
const META = ['version', 'updated_at', 'updated_by', 'based_on_version'];
const body = (s: StoredShadow) =>
  Object.fromEntries(Object.entries(s).filter(([k]) => !META.includes(k))) as unknown as DatasetPolicyInput;

export function shadowRoutes(
  app: App,
  store: ControlPlaneStore,
  schemas: SchemaRegistry,
  source: ShadowEvidenceSource | undefined,
): void {
  const active = async (urn: string) => {
    const cur = await store.get<DatasetPolicy>('policy', urn);
    if (!cur) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}: a shadow needs an active policy`);
    return cur;
  };
  const attached = async (urn: string) => {
    const cur = await store.get<StoredShadow>('shadow', urn);
    if (!cur) throw new ApiError('SHADOW_NOT_FOUND', `no shadow policy attached to ${urn}`);
    return cur;
  };

  app.put(
    '/v1/datasets/:dataset_urn/policy/shadow',
    {
      schema: {
        tags: ['shadow policies'],
        summary: 'Attach (201) or replace (200) the candidate policy enforcers judge records by without acting',
        security: BEARER,
        querystring: PutQuery,
        params: UrnParams,
        headers: IfMatch,
        body: DatasetPolicyInput,
        response: {
          200: { ...StoredShadow, description: 'Replaced, or unchanged when the same body is sent again' },
          201: { ...StoredShadow, description: 'Attached' },
          ...errorResponses(400, 401, 403, 404, 412, 415, 422, 500, 503),
        },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const input = req.body;
      checkSameUrn(input, urn);
      let policy: DatasetPolicy | undefined;
      const r = await versionedPut<StoredShadow>(store, {
        dryRun: req.query.dry_run === true,
        kind: 'shadow',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        action: () => 'shadow.attach',
        guard: async () => {
          policy = await active(urn);
          enforce(canManageDataset(p, policy.owners, input.owners));
        },
        same: (cur) => sameContent(body(cur), input),
        validate: () => checkPolicyInput(store, schemas, input, policy?.contract_id),
        build: (_cur, version, at) => ({
          ...input,
          version,
          updated_at: at,
          updated_by: p.sub,
          based_on_version: (policy as DatasetPolicy).version,
        }),
      });
      return withEtag(reply, r.doc.version)
        .code(r.created ? 201 : 200)
        .send(r.doc);
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/policy/shadow',
    {
      schema: {
        tags: ['shadow policies'],
        summary: "The dataset's shadow candidate (ETag: its version)",
        security: BEARER,
        params: UrnParams,
        response: { 200: StoredShadow, ...errorResponses(400, 401, 404, 500) },
      },
    },
    async (req, reply) => {
      const cur = await attached(req.params.dataset_urn);
      return withEtag(reply, cur.version).send(cur);
    },
  );

  app.delete(
    '/v1/datasets/:dataset_urn/policy/shadow',
    {
      schema: {
        tags: ['shadow policies'],
        summary: 'Detach the shadow candidate (audited): enforcers stop judging by it',
        security: BEARER,
        params: UrnParams,
        headers: IfMatch,
        response: { ...NO_CONTENT, ...errorResponses(400, 401, 403, 404, 412, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      await versionedDelete<StoredShadow>(store, {
        kind: 'shadow',
        key: urn,
        ifMatch: parseEtags(req.headers['if-match']),
        actor: p.sub,
        action: 'shadow.detach',
        guard: async (cur) => {
          if (!cur) throw new ApiError('SHADOW_NOT_FOUND', `no shadow policy attached to ${urn}`);
          const policy = await store.get<DatasetPolicy>('policy', urn);
          enforce(canManageDataset(p, policy?.owners ?? cur.owners));
        },
      });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/datasets/:dataset_urn/policy/shadow/report',
    {
      schema: {
        tags: ['shadow policies'],
        summary:
          "How the candidate's verdicts differ from the active policy's on the records judged since it was attached",
        security: BEARER,
        params: UrnParams,
        response: { 200: ShadowReport, ...errorResponses(400, 401, 404, 500, 503) },
      },
    },
    async (req) => {
      const urn = req.params.dataset_urn;
      const cur = await attached(urn);
      if (!source) throw new ApiError('SHADOW_REPORT_UNAVAILABLE', 'this control plane reads no shadow evidence topic');
      try {
        return await source.report(urn, cur.version, cur.updated_at);
      } catch (err) {
        throw new ApiError('SHADOW_REPORT_UNAVAILABLE', `cannot read the shadow evidence: ${(err as Error).message}`);
      }
    },
  );

  app.post(
    '/v1/datasets/:dataset_urn/policy/shadow/promote',
    {
      schema: {
        tags: ['shadow policies'],
        summary: 'Make the shadow candidate the active policy and detach it (audited: policy.promote, shadow.detach)',
        security: BEARER,
        params: UrnParams,
        headers: IfMatch,
        response: { 200: DatasetPolicy, ...errorResponses(400, 401, 403, 404, 412, 422, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const candidate = await attached(urn);
      // If-Match names the candidate version that was reviewed: a newer one is not promoted blind.
      const ifMatch = parseEtags(req.headers['if-match']);
      if (ifMatch && !ifMatch.some((m) => m === '*' || m === candidate.version)) {
        throw new ApiError('PRECONDITION_FAILED', `If-Match does not match the shadow version (${candidate.version})`, {
          current_version: candidate.version,
        });
      }
      const input = body(candidate);
      let before: DatasetPolicy | undefined;
      const r = await versionedPut<DatasetPolicy>(store, {
        kind: 'policy',
        key: urn,
        ifMatch: undefined,
        actor: p.sub,
        action: () => 'policy.promote',
        guard: async (cur) => {
          if (!cur) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}`);
          before = cur;
          enforce(canManageDataset(p, cur.owners, input.owners));
        },
        same: (cur) => sameContent(cur, input),
        // The candidate passed these when attached; contracts or schemas may have changed since.
        validate: () => checkPolicyInput(store, schemas, input, before?.contract_id),
        build: (_cur, version, at) => ({ ...input, version, updated_at: at, updated_by: p.sub }),
      });
      // Second commit: a crash before it leaves the candidate attached and equal to the active
      // policy (its report then shows no differences); promoting again only detaches it.
      await versionedDelete<StoredShadow>(store, {
        kind: 'shadow',
        key: urn,
        ifMatch: [candidate.version],
        actor: p.sub,
        action: 'shadow.detach',
        guard: async () => {},
      });
      return withEtag(reply, r.doc.version).send(r.doc);
    },
  );
}
