/**
 * The evidence index (GET /v1/evidence, /v1/evidence/{evidence_id}). Every answer says how current
 * the index is: headers `x-evidence-index-state` and `x-evidence-index-lag`, and the list's `index`
 * field. An index that never reached its brokers has nothing current to serve: 503.
 */
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { DatasetUrn, EvidenceEvent, GATES, TopicName } from '../../models/index.js';
import { ApiError } from '../errors.js';
import type { EvidenceIndex } from '../evidence/index-store.js';
import { INDEX_STATES, type IndexStatus } from '../evidence/status.js';
import { type App, BEARER, errorResponses } from '../http.js';
import { PageQuery } from '../schemas.js';

const IndexSummary = Type.Object(
  {
    state: Type.Enum(INDEX_STATES),
    lag: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Evidence events on the topic not yet indexed; null when unknown',
    }),
    last_error: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'How current the index is when it answered' },
);

const IndexHeaders = {
  'x-evidence-index-state': { schema: { type: 'string', enum: [...INDEX_STATES] } },
  'x-evidence-index-lag': {
    schema: { type: 'string' },
    description: 'Events not yet indexed (integer), or "unknown"',
  },
};

const EvidenceQuery = Type.Object(
  {
    dataset_urn: Type.Optional(DatasetUrn),
    result: Type.Optional(Type.Union([Type.Literal('PASS'), Type.Literal('FAIL')])),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'timestamp >= since' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'timestamp < until' })),
    gate: Type.Optional(Type.Enum(GATES, { description: 'in failed_gates' })),
    reason_code: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: '`CODE:path` exactly, or a bare `CODE` matching every `CODE:<path>`',
      }),
    ),
    raw_topic: Type.Optional(TopicName),
    producer: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'producer.producer_id' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

/** 503 unless the index has been connected at least once (or is not tracked, as in tests). */
function usable(evidence: EvidenceIndex | undefined, status: IndexStatus): EvidenceIndex {
  if (!evidence || status.state === 'disabled') {
    throw new ApiError('EVIDENCE_INDEX_DISABLED', `the evidence index is off: ${status.last_error ?? 'disabled'}`);
  }
  if (!status.ever_connected && (status.state === 'starting' || status.state === 'unavailable')) {
    throw new ApiError('EVIDENCE_INDEX_UNAVAILABLE', 'the evidence index has not reached its brokers yet', {
      state: status.state,
      last_error: status.last_error,
      attempts: status.attempts,
    });
  }
  return evidence;
}

function withIndexHeaders(reply: FastifyReply, s: IndexStatus): FastifyReply {
  return reply.header('x-evidence-index-state', s.state).header('x-evidence-index-lag', String(s.lag ?? 'unknown'));
}

export function evidenceRoutes(app: App, evidence: EvidenceIndex | undefined, status: () => IndexStatus): void {
  app.get(
    '/v1/evidence',
    {
      schema: {
        tags: ['evidence'],
        summary: 'Indexed evidence events, newest first (from signal_factory.evidence); unknown parameters are 400',
        security: BEARER,
        querystring: EvidenceQuery,
        response: {
          200: {
            ...Type.Object({
              items: Type.Array(EvidenceEvent),
              next_cursor: Type.Union([Type.String(), Type.Null()], {
                description: 'Pass as ?cursor= for the next page',
              }),
              index: IndexSummary,
            }),
            headers: IndexHeaders,
          },
          ...errorResponses(400, 401, 503),
        },
      },
    },
    async (req, reply) => {
      const s = status();
      const page = usable(evidence, s).query({ ...req.query, limit: req.query.limit ?? 100 });
      return withIndexHeaders(reply, s).send({
        ...page,
        index: { state: s.state, lag: s.lag, last_error: s.last_error },
      });
    },
  );

  app.get(
    '/v1/evidence/:evidence_id',
    {
      schema: {
        tags: ['evidence'],
        summary: 'One indexed evidence event',
        security: BEARER,
        params: Type.Object({ evidence_id: Type.String({ minLength: 1, maxLength: 512 }) }),
        response: { 200: { ...EvidenceEvent, headers: IndexHeaders }, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req, reply) => {
      const s = status();
      const e = usable(evidence, s).get(req.params.evidence_id);
      if (!e) {
        const behind = s.state === 'live' ? '' : ` (the index is ${s.state}, lag ${s.lag ?? 'unknown'}: it may arrive)`;
        throw new ApiError('EVIDENCE_NOT_FOUND', `no evidence ${req.params.evidence_id} in the index${behind}`, {
          index: { state: s.state, lag: s.lag },
        });
      }
      return withIndexHeaders(reply, s).send(e);
    },
  );
}
