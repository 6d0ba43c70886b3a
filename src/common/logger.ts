/**
 * Structured JSON logs (pino). Payloads and PII values are never logged: log the
 * coordinates (topic, partition, offset), dataset_urn and trace_id instead.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.SF_LOG_LEVEL || 'info'): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
