/**
 * Integration-test fixtures on the real local stack (scripts/stack up; . .stack/env):
 * unique topics per test, a control plane process with its own store, enforcer processes.
 * Helpers own cleanup through the test context.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ensureTopics, withAdmin } from '../../src/common/kafka-admin.js';
import { api, devToken, freePort, REPO_ROOT, type Service, startService } from '../../src/dev/services.js';

export function stackEnv(): { brokers: string; awsEndpoint: string; secret: string } {
  const brokers = process.env.SF_KAFKA_BROKERS;
  const awsEndpoint = process.env.SF_AWS_ENDPOINT;
  const secret = process.env.SF_AUTH_JWT_SECRET;
  if (!brokers || !awsEndpoint || !secret) {
    throw new Error('integration tests need the local stack: scripts/stack up && . .stack/env');
  }
  return { brokers, awsEndpoint, secret };
}

export const LOG_DIR = join(REPO_ROOT, '.stack', 'logs', 'tests');

let seq = 0;
/** A name unique to this test run. */
export const unique = (prefix: string) => `${prefix}.${process.pid}.${Date.now().toString(36)}.${seq++}`;

export async function createTopics(
  brokers: string,
  topics: Array<{ topic: string; numPartitions: number }>,
): Promise<void> {
  await withAdmin(brokers, (admin) => ensureTopics(admin, topics));
}

export interface ControlPlane {
  service: Service;
  url: string;
  admin: string;
  put(path: string, body: unknown): Promise<{ status: number; body: unknown }>;
}

/** A control plane process with a fresh SQLite store. */
export async function startControlPlane(t: TestContext, env: Record<string, string> = {}): Promise<ControlPlane> {
  const { secret } = stackEnv();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sf-cp-'));
  const service = await startService({
    name: `cp-${port}`,
    command: 'control-plane',
    env: {
      SF_HTTP_PORT: String(port),
      SF_POLICY_STORE: `sqlite:${join(dir, 'cp.db')}`,
      SF_EVIDENCE_INDEX: 'off',
      ...env,
    },
    port,
    logDir: LOG_DIR,
  });
  t.after(() => service.stop());
  const admin = await devToken({ sub: 'test-admin', roles: ['admin'] }, secret);
  return {
    service,
    url: service.url,
    admin,
    put: async (path, body) => {
      const res = await api(service.url, admin, 'PUT', path, body);
      if (res.status >= 300) throw new Error(`PUT ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    },
  };
}

/** An enforcer process; `stop` is idempotent and the test context stops it at the end. */
export async function startEnforcer(t: TestContext, env: Record<string, string>, name = 'enforcer'): Promise<Service> {
  const port = await freePort();
  const service = await startService({
    name: `${name}-${port}`,
    command: 'enforcer',
    env: { SF_ENFORCER_HTTP_PORT: String(port), SF_ENFORCER_OFFSET_RESET: 'earliest', SF_WORKERS: '1', ...env },
    port,
    logDir: LOG_DIR,
    readyTimeoutMs: 90_000,
  });
  t.after(() => service.stop('SIGKILL'));
  return service;
}
