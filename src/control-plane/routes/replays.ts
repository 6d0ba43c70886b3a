/**
 * The audit record of a replay from quarantine (issue 18 item 3): `signal-factory replay` posts
 * what it did once it is done; the control plane appends it to the audit log as `replay.run`.
 * Only those who may manage the dataset may record a replay of it.
 */
import Type from 'typebox';
import type { DatasetPolicy } from '../../models/index.js';
import { canManageDataset } from '../authz.js';
import { ApiError } from '../errors.js';
import { type App, BEARER, enforce, errorResponses, principal } from '../http.js';
import { AuditEntry, UrnParams } from '../schemas.js';
import type { ControlPlaneStore } from '../store/types.js';

const Count = Type.Integer({ minimum: 0 });

export const ReplayRecord = Type.Object(
  {
    replay_id: Type.String({ minLength: 1, maxLength: 100 }),
    policy_version: Type.Integer({ minimum: 1, description: 'The policy version the records were re-judged by' }),
    to_topic: Type.String({ minLength: 1, maxLength: 249 }),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    reason: Type.Optional(Type.String({ maxLength: 300 })),
    scanned: Count,
    now_pass: Count,
    republished: Count,
    already_replayed: Count,
    still_fail: Count,
    failed: Type.Optional(Count),
  },
  { additionalProperties: false },
);

export function replayRoutes(app: App, store: ControlPlaneStore): void {
  app.post(
    '/v1/datasets/:dataset_urn/replays',
    {
      schema: {
        tags: ['audit'],
        summary: 'Record a replay from quarantine in the audit log (replay.run); signal-factory replay calls it',
        security: BEARER,
        params: UrnParams,
        body: ReplayRecord,
        response: { 200: AuditEntry, ...errorResponses(400, 401, 403, 404, 415, 500) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const urn = req.params.dataset_urn;
      const policy = await store.get<DatasetPolicy>('policy', urn);
      if (!policy) throw new ApiError('DATASET_NOT_FOUND', `no policy for ${urn}`);
      enforce(canManageDataset(p, policy.owners));
      const entry = {
        at: new Date().toISOString(),
        actor: p.sub,
        action: 'replay.run' as const,
        target: urn,
        before_version: null,
        after_version: null,
        details: req.body,
      };
      const seq = await store.appendAudit(entry);
      return reply.send({ seq, ...entry });
    },
  );
}
