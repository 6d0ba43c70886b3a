/** Wires the app from the environment: store, auth, Glue check, evidence index and its consumer. */
import { glueClient } from '../common/aws.js';
import { createLogger } from '../common/logger.js';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth.js';
import type { ControlPlaneConfig } from './config.js';
import { type EvidenceConsumer, startEvidenceConsumer } from './evidence/consumer.js';
import { SqliteEvidenceIndex } from './evidence/index-store.js';
import { GlueSchemaRegistry, noSchemaCheck } from './schema-registry.js';
import { openStore } from './store/index.js';

export interface RunningControlPlane {
  url: string;
  close(): Promise<void>;
}

export async function startControlPlane(cfg: ControlPlaneConfig): Promise<RunningControlPlane> {
  const logger = createLogger('control-plane', cfg.logLevel);
  const auth = createAuthenticator(cfg.auth);
  const store = await openStore(cfg.policyStore, cfg, { createTables: cfg.createTables });
  const schemas =
    cfg.schemaCheck === 'glue' ? new GlueSchemaRegistry(glueClient(cfg), cfg.glueRegistry) : noSchemaCheck;
  const evidence = cfg.evidenceIndex
    ? new SqliteEvidenceIndex(cfg.evidenceIndexPath, cfg.evidenceIndexMaxRows)
    : undefined;
  const app = await buildApp({ store, auth, schemas, evidence, logger });
  let url: string;
  try {
    url = await app.listen({ port: cfg.port, host: cfg.host });
  } catch (err) {
    // A port in use is fatal: release what was opened so nothing keeps the process alive.
    await app.close().catch(() => {});
    evidence?.close();
    await store.close();
    throw err;
  }
  // The API serves without the index consumer: a broker outage must not take policies down.
  const consumer: Promise<EvidenceConsumer | undefined> = evidence
    ? startEvidenceConsumer({
        brokers: cfg.brokers,
        topic: cfg.evidenceTopic,
        groupId: cfg.evidenceIndexGroupId,
        index: evidence,
        logger,
      }).catch((err) => {
        logger.error({ err }, 'evidence index consumer failed to start');
        return undefined;
      })
    : Promise.resolve(undefined);
  logger.info({ url, store: store.kind, auth: auth.mode, evidenceIndex: cfg.evidenceIndex }, 'control plane listening');
  return {
    url,
    async close() {
      await app.close();
      // A consumer still connecting to an unreachable broker must not hold shutdown hostage.
      const c = await Promise.race([
        consumer,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref()),
      ]);
      await c?.stop().catch((err) => logger.warn({ err }, 'evidence consumer stop failed'));
      evidence?.close();
      await store.close();
    },
  };
}
