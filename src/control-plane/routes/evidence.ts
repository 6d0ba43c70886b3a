/**
 * The evidence index (GET /v1/evidence, /v1/evidence/{evidence_id}, /v1/evidence/counts). It keeps
 * FAIL evidence for SF_EVIDENCE_RETENTION_DAYS and per-minute PASS/FAIL counts (PASS evidence is in
 * the archive, docs/evidence.md). Every answer says how current the index is: headers
 * `x-evidence-index-state` and `x-evidence-index-lag`, and the list's `index` field. An index that
 * never reached its brokers has nothing current to serve: 503.
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
    partition: Type.Optional(
      Type.Integer({ minimum: 0, description: 'raw record partition (with raw_topic and offset: its coordinates)' }),
    ),
    offset: Type.Optional(
      Type.Integer({ minimum: 0, description: 'raw record offset (with raw_topic and partition: its coordinates)' }),
    ),
    producer: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'producer.producer_id' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

const CountsQuery = Type.Object(
  {
    dataset_urn: DatasetUrn,
    since: Type.Optional(Type.String({ format: 'date-time', description: 'minute >= since; default: an hour ago' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'minute < until; default: now' })),
  },
  { additionalProperties: false },
);

/** Reads of a remote index (DynamoDB) can fail: a 503 with a stable code, not a bare 500. */
async function read<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError || (err as { code?: string }).code === 'INVALID_CURSOR') throw err;
    throw new ApiError('EVIDENCE_INDEX_READ_FAILED', `the evidence index could not be read: ${(err as Error).message}`);
  }
}

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
        summary:
          'Indexed FAIL evidence, newest first (from signal_factory.evidence); raw_topic + partition + offset look up one raw record; unknown parameters are 400',
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
      const q = req.query;
      const coords = [q.partition, q.offset].filter((v) => v !== undefined).length;
      if (coords > 0 && (coords < 2 || q.raw_topic === undefined)) {
        throw new ApiError('VALIDATION_FAILED', 'a lookup by coordinates needs raw_topic, partition and offset', [
          { path: '/querystring', message: 'raw_topic, partition and offset go together' },
        ]);
      }
      const index = usable(evidence, s);
      const page = await read(() => index.query({ ...q, limit: q.limit ?? 100 }));
      return withIndexHeaders(reply, s).send({
        ...page,
        index: { state: s.state, lag: s.lag, last_error: s.last_error },
      });
    },
  );

  app.get(
    '/v1/evidence/counts',
    {
      schema: {
        tags: ['evidence'],
        summary:
          "A dataset's PASS and FAIL evidence per minute (every replica's index agrees: each event counted once)",
        security: BEARER,
        querystring: CountsQuery,
        response: {
          200: {
            ...Type.Object({
              dataset_urn: Type.String(),
              since: Type.String(),
              until: Type.String(),
              items: Type.Array(
                Type.Object({
                  minute: Type.String({ description: 'start of the minute (ISO)' }),
                  pass: Type.Integer({ minimum: 0 }),
                  fail: Type.Integer({ minimum: 0 }),
                }),
                { description: 'minutes with evidence, oldest first' },
              ),
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
      const index = usable(evidence, s);
      // The date-time format admits what Date cannot represent (a leap second :60): refuse it clearly.
      for (const [name, v] of Object.entries({ since: req.query.since, until: req.query.until })) {
        if (v !== undefined && Number.isNaN(Date.parse(v))) {
          throw new ApiError('VALIDATION_FAILED', `${name} is not a representable time`, [
            { path: `/querystring/${name}`, message: 'not a representable time' },
          ]);
        }
      }
      const until = req.query.until ?? new Date().toISOString();
      const since = req.query.since ?? new Date(Date.parse(until) - 3_600_000).toISOString();
      const items = await read(() => index.counts({ dataset_urn: req.query.dataset_urn, since, until }));
      return withIndexHeaders(reply, s).send({
        dataset_urn: req.query.dataset_urn,
        since,
        until,
        items,
        index: { state: s.state, lag: s.lag, last_error: s.last_error },
      });
    },
  );

  app.get(
    '/v1/evidence/:evidence_id',
    {
      schema: {
        tags: ['evidence'],
        summary: 'One indexed (FAIL) evidence event',
        security: BEARER,
        params: Type.Object({ evidence_id: Type.String({ minLength: 1, maxLength: 512 }) }),
        response: { 200: { ...EvidenceEvent, headers: IndexHeaders }, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req, reply) => {
      const s = status();
      const index = usable(evidence, s);
      const e = await read(() => index.get(req.params.evidence_id));
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
