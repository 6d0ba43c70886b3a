/**
 * Structured JSON logs (pino). Payloads and PII values are never logged: log the
 * coordinates (topic, partition, offset), dataset_urn and trace_id instead.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

/** @param fd 2 for commands whose stdout is their output (replay prints NDJSON there) */
export function createLogger(name: string, level = process.env.SF_LOG_LEVEL || 'info', fd: 1 | 2 = 1): Logger {
  const opts = { name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime };
  return fd === 1 ? pino(opts) : pino(opts, pino.destination({ fd, sync: true }));
}
