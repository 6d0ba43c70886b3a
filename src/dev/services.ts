/**
 * Starts signal-factory commands as real child processes and waits for their readiness
 * probes: used by the demo and by the integration tests, so both exercise the shipped
 * processes rather than in-process stand-ins.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { type Method, rawCall } from '../common/control-plane-api.js';
import { mintDevToken } from '../common/dev-token.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'signal-factory.js');

export interface Service {
  name: string;
  url: string;
  child: ChildProcess;
  logFile: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

export async function waitReady(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ready`);
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      last = await res.body.text();
      if (res.statusCode === 200) return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}

export interface SpawnedCommand {
  child: ChildProcess;
  logFile: string;
  /** Everything the process wrote so far (stdout and stderr), line by line. */
  output(): string[];
  /** Settles with the exit code (null when killed by a signal) and when it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `signal-factory <command>` with extra env, without waiting for anything. */
export function spawnCommand(opts: {
  name: string;
  command: string;
  env: Record<string, string>;
  logDir: string;
  /** Keep the output in memory for `output()` (tests of short-lived processes). */
  capture?: boolean;
  /**
   * Outlive this process (`demo --keep`): the child writes its log file itself (a pipe to us would
   * break when we exit) in its own process group, and does not keep our event loop alive.
   */
  detached?: boolean;
}): SpawnedCommand {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${opts.name}.log`);
  const env = { ...process.env, ...opts.env };
  if (opts.detached) {
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [BIN, opts.command], { env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    child.unref();
    return withStop(child, logFile, () => '');
  }
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [BIN, opts.command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (b: Buffer) => {
    text += b.toString('utf8');
  };
  if (opts.capture) {
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return withStop(child, logFile, () => text);
}

function withStop(child: ChildProcess, logFile: string, text: () => string): SpawnedCommand {
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    return (await exited).code;
  };
  return { child, logFile, output: () => text().split('\n').filter(Boolean), exited, stop };
}

/** Runs `signal-factory <command>` with extra env; logs go to `logDir/<name>.log`. */
export async function startService(opts: {
  name: string;
  command: string;
  env: Record<string, string>;
  port: number;
  logDir: string;
  readyTimeoutMs?: number;
  detached?: boolean;
}): Promise<Service> {
  const { child, logFile, stop } = spawnCommand(opts);
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    await waitReady(`${url}/readyz`, opts.readyTimeoutMs ?? 60_000, child);
  } catch (e) {
    await stop('SIGKILL');
    throw new Error(`${opts.name} did not become ready (${(e as Error).message}); see ${logFile}`);
  }
  return { name: opts.name, url, child, logFile, stop };
}

/** A development token signed with SF_AUTH_JWT_SECRET (HS256). */
export function devToken(claims: { sub: string; teams?: string[]; roles?: string[] }, secret: string): Promise<string> {
  return mintDevToken(
    secret,
    { sub: claims.sub, teams: claims.teams ?? [], roles: claims.roles ?? [] },
    { expiresIn: '1h' },
  );
}

/** One control plane call as received (status, parsed body, headers), for the demo and tests. */
export async function api(
  base: string,
  token: string,
  method: Method,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  const r = await rawCall(base, token, method, path, body);
  return { status: r.status, body: r.body ?? null, headers: r.headers };
}
