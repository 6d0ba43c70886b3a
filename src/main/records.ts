import type { Message } from '../common/kafka.js';
import { parseTraceparent } from './tracing.js';

/** A consumed raw record as the main thread holds it (normalised once from the client's Message). */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Broker/producer timestamp, ms. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
  /** [trace_id, span_id] for the evidence's otel block, when known. */
  otel?: [string, string] | null;
}

const NO_HEADERS: Array<[string, Buffer]> = [];

/** Normalises a consumed message once: Buffers for key and headers, the producer's trace. */
export function toRecord(m: Message): ConsumedRecord {
  let headers = NO_HEADERS;
  let otel: [string, string] | null = null;
  if (m.headers && m.headers.length > 0) {
    headers = [];
    for (const h of m.headers) {
      for (const k in h) {
        const raw = h[k];
        const v = typeof raw === 'string' ? Buffer.from(raw) : raw;
        headers.push([k, v]);
        // Without tracing, evidence still names the producer's trace when it sent one.
        if (k === 'traceparent') otel = parseTraceparent(v);
      }
    }
  }
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp ?? Date.now(),
    key: m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(String(m.key)),
    value: m.value ?? null,
    headers,
    otel,
  };
}
