/**
 * Real fault injection for reliability tests: a dedicated Kafka broker the test may stop
 * and restart (scripts/stack with its own SF_STACK_DIR and ports), and a TCP proxy that
 * can cut a dependency off (registry, control plane) and restore it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT } from '../../src/dev/services.js';

const run = promisify(execFile);

export interface DedicatedBroker {
  brokers: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** `start: false` reserves the ports but leaves the broker down until start(): an outage at start. */
export async function dedicatedBroker(t: TestContext, opts: { start?: boolean } = {}): Promise<DedicatedBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-broker-'));
  const kafkaPort = await freePort();
  const controllerPort = await freePort();
  const env = {
    ...process.env,
    SF_STACK_DIR: dir,
    SF_STACK_KAFKA_PORT: String(kafkaPort),
    SF_STACK_CONTROLLER_PORT: String(controllerPort),
  };
  const stack = (cmd: string) =>
    run('bash', [join(REPO_ROOT, 'scripts', 'stack'), cmd], { env, timeout: 120_000 }).then(() => undefined);
  if (opts.start !== false) await stack('kafka-up');
  t.after(async () => {
    await stack('kafka-down');
    rmSync(dir, { recursive: true, force: true });
  });
  return { brokers: `127.0.0.1:${kafkaPort}`, stop: () => stack('kafka-down'), start: () => stack('kafka-up') };
}

export interface Proxy {
  port: number;
  url: string;
  /** Refuse new connections and drop open ones. */
  cut(): Promise<void>;
  restore(): Promise<void>;
}

/** A TCP proxy on loopback to `127.0.0.1:targetPort`. */
export async function tcpProxy(t: TestContext, targetPort: number): Promise<Proxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await listen();
  t.after(cut);
  return { port, url: `http://127.0.0.1:${port}`, cut, restore: listen };
}
