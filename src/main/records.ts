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
