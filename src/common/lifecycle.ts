/**
 * How a long-running command (enforcer, control plane) starts, runs and stops, so that every
 * process fails loudly and SIGTERM works in every state:
 * - start-up is bounded (SF_STARTUP_TIMEOUT_MS); a failure or the timeout logs one JSON line
 *   that names the cause (and what start-up was waiting for) and the process exits 1;
 * - SIGTERM/SIGINT at any time, also during start-up, aborts start-up, stops, and exits 0;
 *   a second signal exits at once;
 * - a fatal error while running logs one JSON line and exits 1;
 * - stopping is bounded by the shutdown deadline; native handles (librdkafka threads, a
 *   connect still in flight) cannot keep the process alive after it (forced exit).
 */
import type { Logger } from './logger.js';

export interface ManagedService {
  /** Starts; gives up when `signal` aborts (checked between steps). */
  start(signal: AbortSignal): Promise<void>;
  /** Stops whatever was started, also after a partial or failed start. */
  stop(): Promise<void>;
  /** What start-up is doing now, for the timeout's message. */
  phase(): string;
  /** Settles with the error that makes the running service unusable. */
  readonly failure: Promise<Error>;
}

export interface RunOptions {
  log: Logger;
  startupTimeoutMs: number;
  shutdownDeadlineMs: number;
}

/** Start-up did not finish within the bound. */
export class StartupTimeoutError extends Error {
  readonly code = 'STARTUP_TIMEOUT';
}

class StopRequested extends Error {
  readonly code = 'STOP_REQUESTED';
}

/** Settles with `p`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for `p` any more: its own later rejection must not become an unhandled one.
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Waits `ms`, or rejects when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return abortable(new Promise<void>((r) => setTimeout(r, ms).unref()), signal);
}

/**
 * Retries `attempt` until it succeeds or the signal aborts. Keep each attempt short: a native
 * connect in flight cannot be cancelled and holds up process exit until its own timeout.
 */
export async function retryUntilAborted<T>(
  attempt: () => Promise<T>,
  signal: AbortSignal,
  onError: (err: unknown) => void,
  pauseMs = 1000,
): Promise<T> {
  for (;;) {
    signal.throwIfAborted();
    try {
      return await abortable(attempt(), signal);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      onError(err);
    }
    await sleep(pauseMs, signal);
  }
}

/** The error as log fields: code and message, never a multi-line dump. */
export function errorFields(err: unknown): { code?: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = e && (typeof e.code === 'string' || typeof e.code === 'number') ? String(e.code) : undefined;
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  return code ? { code, message } : { message };
}

let earlySignal: NodeJS.Signals | undefined;
const rememberSignal = (s: NodeJS.Signals) => {
  earlySignal ??= s;
};

/**
 * For service commands, called before the command's modules load (hundreds of ms with the
 * native Kafka client): a SIGTERM meanwhile is remembered and honoured by runService as a
 * graceful stop, instead of killing the process by signal.
 */
export function trapEarlySignals(): void {
  process.on('SIGTERM', rememberSignal);
  process.on('SIGINT', rememberSignal);
}

/** Runs a service until a signal or a fatal error; returns the exit code. */
export async function runService(svc: ManagedService, o: RunOptions): Promise<number> {
  const { log } = o;
  const ctl = new AbortController();
  let signalled: string | undefined;
  let wake: () => void = () => {};
  const woken = new Promise<void>((r) => {
    wake = r;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    log.info({ signal }, 'stopping');
    ctl.abort(new StopRequested(signal));
    wake();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.off('SIGTERM', rememberSignal);
  process.off('SIGINT', rememberSignal);
  if (earlySignal) onSignal(earlySignal);

  let code = 0;
  let started = false;
  const timer = setTimeout(() => {
    ctl.abort(
      new StartupTimeoutError(
        `start-up did not finish within SF_STARTUP_TIMEOUT_MS (${o.startupTimeoutMs} ms): ${svc.phase()}`,
      ),
    );
  }, o.startupTimeoutMs);
  try {
    await abortable(svc.start(ctl.signal), ctl.signal);
    started = true;
  } catch (err) {
    if (!signalled) {
      log.fatal({ err: errorFields(err), phase: svc.phase() }, 'start-up failed');
      code = 1;
    }
  } finally {
    clearTimeout(timer);
  }
  if (started && !signalled) {
    const fatal = await Promise.race([woken.then(() => undefined), svc.failure]);
    if (fatal && !signalled) {
      log.fatal({ err: errorFields(fatal) }, 'fatal error; stopping');
      code = 1;
    }
  }
  // Stop within the deadline (plus a little for closing clients); never hang here.
  const stopped = await Promise.race([
    svc.stop().then(
      () => true,
      (err) => {
        log.error({ err: errorFields(err) }, 'stop failed');
        return true;
      },
    ),
    new Promise<false>((r) => setTimeout(() => r(false), o.shutdownDeadlineMs + 5000).unref()),
  ]);
  if (!stopped) {
    log.error({ deadline_ms: o.shutdownDeadlineMs }, 'stop did not finish within the shutdown deadline; exiting');
    if (code === 0) code = 1;
  }
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  // A client thread still connecting (or reconnecting) must not keep the process alive.
  setTimeout(() => process.exit(), 1000).unref();
  return code;
}
