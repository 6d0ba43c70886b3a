/**
 * librdkafka's own logs through our JSON logger, rate-limited, for every Kafka client of the
 * project (enforcer consumer and producer, the control plane's evidence-index consumer, the
 * admin helper). Unrouted, the binding prints multi-line objects with console.* (KafkaJS API)
 * or drops them (node-rdkafka API); with a broker gone it repeats the same complaint dozens of
 * times a second. Each distinct complaint logs at most once per window, with the count of the
 * repeats it dropped.
 */
import type { LibrdKafkaError } from './kafka.js';
import type { Logger } from './logger.js';

/** Repeats of one librdkafka complaint are logged at most once per window, with a count. */
const LOG_WINDOW_MS = 30_000;

/** librdkafka syslog severities (0 emerg .. 7 debug) to pino levels. */
const level = (severity: number) => (severity <= 4 ? 'warn' : severity <= 6 ? 'info' : 'debug');

type LogLevel = 'warn' | 'info' | 'debug';
export type RateLimitedLog = (key: string, lvl: LogLevel, fields: Record<string, unknown>, msg: string) => void;

/** Each distinct key logs at most once per window, with how many repeats were dropped. */
export function rateLimitedLog(log: Logger, windowMs = LOG_WINDOW_MS, now: () => number = Date.now): RateLimitedLog {
  const last = new Map<string, { at: number; dropped: number }>();
  return (key, lvl, fields, msg) => {
    const t = now();
    const seen = last.get(key);
    if (seen && t - seen.at < windowMs) {
      seen.dropped++;
      return;
    }
    last.set(key, { at: t, dropped: 0 });
    log[lvl]({ ...fields, ...(seen?.dropped ? { repeats_dropped: seen.dropped } : {}) }, msg);
  };
}

interface EventClient {
  on(event: 'event.log', cb: (e: { severity: number; fac: string; message: string }) => void): unknown;
  on(event: 'event.error', cb: (e: LibrdKafkaError) => void): unknown;
}

/**
 * Routes a node-rdkafka style client's own logs and errors (`event.log`, `event.error`)
 * through our JSON logger, rate-limited; `fields` names the client (e.g. `{ client: 'raw consumer' }`).
 */
export function routeClientLogs(client: EventClient, emit: RateLimitedLog, fields: Record<string, unknown> = {}): void {
  client.on('event.log', (e) =>
    emit(`log:${e.fac}`, level(e.severity), { ...fields, librdkafka: e.fac, detail: e.message }, 'kafka client log'),
  );
  client.on('event.error', (e) =>
    emit(`error:${e.code}`, 'warn', { ...fields, librdkafka_code: e.code, detail: e.message }, 'kafka client error'),
  );
}

/** The KafkaJS-compatible API's logger interface (admin client), writing through `emit`. */
export function kafkaJsLogger(emit: RateLimitedLog, fields: Record<string, unknown> = {}) {
  const write = (lvl: LogLevel) => (m: string, extra?: unknown) => {
    const fac = (extra as { fac?: string } | undefined)?.fac;
    emit(
      `kjs:${lvl}:${fac ?? ''}:${m}`,
      lvl,
      { ...fields, ...(fac ? { librdkafka: fac } : {}), detail: m },
      'kafka client log',
    );
  };
  const logger = {
    info: write('info'),
    warn: write('warn'),
    error: write('warn'),
    debug: write('debug'),
    // Our logger's level decides; the binding's own level is ignored.
    setLogLevel: (_level: number) => {},
    namespace: () => logger,
  };
  return logger;
}
