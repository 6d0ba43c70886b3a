/** A control plane process for the Signal Engine benchmark (its own SQLite store, the bench's topics). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopics, withAdmin } from '../../src/common/kafka-admin.js';
import { devToken, freePort, type Service, startService } from '../../src/dev/services.js';

export async function createTopics(brokers: string, topics: Array<{ topic: string; numPartitions: number }>) {
  await withAdmin(brokers, (admin) => ensureTopics(admin, topics));
}

export async function startControlPlaneProcess(
  env: Record<string, string>,
  logDir: string,
): Promise<{ service: Service; admin: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sf-perf-cp-'));
  const service = await startService({
    name: `perf-cp-${port}`,
    command: 'control-plane',
    env: {
      ...env,
      SF_HTTP_PORT: String(port),
      SF_POLICY_STORE: `sqlite:${join(dir, 'cp.db')}`,
      SF_EVIDENCE_INDEX: 'off',
      SF_SIGNALS_VIEW: 'off',
    },
    port,
    logDir,
  });
  const admin = await devToken({ sub: 'perf-admin', roles: ['admin'] }, process.env.SF_AUTH_JWT_SECRET ?? '');
  return { service, admin };
}
