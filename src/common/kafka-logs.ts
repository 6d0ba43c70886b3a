/**
 * librdkafka's own logs through our JSON logger, rate-limited, for every Kafka client of the
 * project (enforcer consumer and producer, the control plane's evidence-index consumer, the
 * admin helper). Unrouted, the binding prints multi-line objects with console.* (KafkaJS API)
 * or drops them (node-rdkafka API); with a broker gone it repeats the same error thousands of
 * times a minute. Each client gets its own limiter: at most LIMIT lines per window, and the
 * first line after a suppressed stretch says how many were dropped.
 */
import type { Logger } from './logger.js';

/** Fixed-window limiter: `admit()` says whether a line may be written, and how many were dropped before it. */
export class LogRateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private dropped = 0;

  constructor(
    private readonly limit = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Undefined when the line must be dropped, else the count dropped since the last admitted line. */
  admit(): number | undefined {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.used = 0;
    }
    if (this.used >= this.limit) {
      this.dropped++;
      return undefined;
    }
    this.used++;
    const d = this.dropped;
    this.dropped = 0;
    return d;
  }
}

type Level = 'error' | 'warn' | 'info' | 'debug';

/** syslog severities (librdkafka) to our levels. */
function levelOf(severity: number): Level {
  if (severity <= 3) return 'error';
  if (severity === 4) return 'warn';
  if (severity <= 6) return 'info';
  return 'debug';
}

/** One rate-limited writer for a client's lines. */
function writer(log: Logger, client: string, limiter: LogRateLimiter) {
  return (level: Level, msg: string, fields: Record<string, unknown>) => {
    if (!log.isLevelEnabled(level)) return;
    const dropped = limiter.admit();
    if (dropped === undefined) return;
    log[level]({ client, ...fields, ...(dropped > 0 ? { suppressed: dropped } : {}) }, msg);
  };
}

interface EventClient {
  on(event: 'event.log', cb: (m: { severity: number; fac: string; message: string }) => void): unknown;
  on(event: 'event.error', cb: (err: Error & { code?: number; isFatal?: boolean }) => void): unknown;
}

/** Routes a node-rdkafka style client's `event.log` and `event.error` into `log`. */
export function routeClientLogs(c: EventClient, log: Logger, client: string, limiter = new LogRateLimiter()): void {
  const write = writer(log, client, limiter);
  c.on('event.log', (m) => write(levelOf(m.severity), m.message, { source: 'librdkafka', fac: m.fac }));
  c.on('event.error', (err) =>
    write(err.isFatal ? 'error' : 'warn', err.message, { source: 'librdkafka', code: err.code }),
  );
}

/** The KafkaJS-compatible API's logger interface, writing into `log` with a limiter. */
export function kafkaJsLogger(log: Logger, client: string, limiter = new LogRateLimiter()) {
  const write = writer(log, client, limiter);
  const extra = (e: unknown) => {
    const x = (e ?? {}) as { fac?: string };
    return { source: 'librdkafka', ...(x.fac ? { fac: x.fac } : {}) };
  };
  const logger = {
    info: (m: string, e?: unknown) => write('info', m, extra(e)),
    warn: (m: string, e?: unknown) => write('warn', m, extra(e)),
    error: (m: string, e?: unknown) => write('error', m, extra(e)),
    debug: (m: string, e?: unknown) => write('debug', m, extra(e)),
    // Our logger's level decides; the binding's own level is ignored.
    setLogLevel: (_level: number) => {},
    namespace: () => logger,
  };
  return logger;
}
