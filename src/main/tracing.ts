/**
 * OpenTelemetry tracing of records (design 9.1). Off by default: with no exporter
 * configured the enforcer never touches the tracer, so the cost is one boolean per batch.
 * When on, a record carrying a W3C `traceparent` joins that trace, others start one; the
 * sampler (OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG) decides, and only sampled
 * records get spans: enforcer.consume (the record's root in this service) with children
 * enforcer.resolve_dataset, enforcer.validate.schema, enforcer.validate.contract (timed by
 * the batch evaluation that judged the record) and enforcer.emit.evidence (send to ack).
 */
import { type Context, ROOT_CONTEXT, type Span, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { RecordVerdict } from '../workers/protocol.js';
import type { ConsumedRecord } from './records.js';

const w3c = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: Array<[string, Buffer]>) => carrier.map(([k]) => k),
  get: (carrier: Array<[string, Buffer]>, key: string) => {
    for (const [k, v] of carrier) if (k.toLowerCase() === key) return v.toString('latin1');
    return undefined;
  },
};

/** `traceparent` -> [trace_id, parent span_id], without any tracer (for evidence when tracing is off). */
export function parseTraceparent(v: Buffer): [string, string] | null {
  // version(2)-trace_id(32)-span_id(16)-flags(2)
  if (v.length !== 55 || v[2] !== 0x2d || v[35] !== 0x2d || v[52] !== 0x2d) return null;
  const s = v.toString('latin1');
  const traceId = s.slice(3, 35);
  const spanId = s.slice(36, 52);
  if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(traceId)) return null;
  return [traceId, spanId];
}

export interface RecordSpans {
  root: Span;
  ctx: Context;
  emit?: Span;
}

export class RecordTracer {
  constructor(private readonly tracer: Tracer | undefined) {}

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Starts enforcer.consume for a record; undefined when the record is not sampled. */
  start(r: ConsumedRecord, startTime: number): RecordSpans | undefined {
    const tracer = this.tracer!;
    const parent = w3c.extract(ROOT_CONTEXT, r.headers, headerGetter);
    const root = tracer.startSpan('enforcer.consume', { startTime, attributes: { raw_topic: r.topic } }, parent);
    if (!root.isRecording()) return undefined;
    return { root, ctx: trace.setSpan(parent, root) };
  }

  /** The gate spans and the attributes every span carries, once the verdict is known. */
  evaluated(s: RecordSpans, r: ConsumedRecord, v: RecordVerdict, evalStart: number, evalEnd: number): void {
    const attributes = {
      dataset_urn: v.dataset_urn ?? 'unresolved',
      raw_topic: r.topic,
      result: v.pass ? 'PASS' : 'FAIL',
      failed_gate: v.failed_gates.join(','),
      identity_confidence: v.identity_confidence,
      'messaging.kafka.partition': r.partition,
      'messaging.kafka.offset': r.offset,
    };
    const tracer = this.tracer!;
    for (const name of ['enforcer.resolve_dataset', 'enforcer.validate.schema', 'enforcer.validate.contract']) {
      tracer.startSpan(name, { startTime: evalStart, attributes }, s.ctx).end(evalEnd);
    }
    s.root.setAttributes(attributes);
    s.emit = tracer.startSpan('enforcer.emit.evidence', { attributes }, s.ctx);
    s.root.end();
  }

  /** The record's evidence (and action) is acknowledged. */
  emitted(s: RecordSpans): void {
    s.emit?.end();
  }

  /** Ids to embed in the evidence's otel block. */
  static ids(s: RecordSpans): [string, string] {
    const c = s.root.spanContext();
    return [c.traceId, c.spanId];
  }
}

/**
 * Starts the OpenTelemetry SDK when an exporter is configured (OTEL_TRACES_EXPORTER other
 * than none, an OTLP endpoint, or SF_TRACING=on); the SDK reads the standard OTEL_*
 * variables (exporter, endpoint, sampler, service name).
 */
export async function startTracing(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ tracer: Tracer | undefined; shutdown: () => Promise<void> }> {
  const exporter = env.OTEL_TRACES_EXPORTER;
  const enabled =
    env.SF_TRACING === 'on' ||
    (exporter !== undefined && exporter !== 'none') ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (!enabled || env.OTEL_SDK_DISABLED === 'true') return { tracer: undefined, shutdown: async () => {} };
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? 'signal-factory-enforcer', instrumentations: [] });
  sdk.start();
  return { tracer: trace.getTracer('signal-factory-enforcer'), shutdown: () => sdk.shutdown() };
}
