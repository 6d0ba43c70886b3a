/** Wires the app from the environment: store, auth, Glue check, evidence index and its consumer. */
import { glueClient } from '../common/aws.js';
import { ConfluentRegistryClient } from '../common/confluent-registry.js';
import { createLogger } from '../common/logger.js';
import { ACKS_TOPIC_SUFFIX } from '../signals/topics.js';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth.js';
import type { ControlPlaneConfig } from './config.js';
import { EvidenceIndexer } from './evidence/consumer.js';
import { openEvidenceIndex } from './evidence/open.js';
import { disabledStatus } from './evidence/status.js';
import { ConfluentSchemaRegistry, GlueSchemaRegistry, RoutedSchemaRegistry } from './schema-registry.js';
import { ShadowFeed } from './shadow/reader.js';
import { SignalsFeed } from './signals/consumer.js';
import { SignalsView } from './signals/view.js';
import { openStore } from './store/index.js';

export interface RunningControlPlane {
  url: string;
  close(): Promise<void>;
}

export async function startControlPlane(cfg: ControlPlaneConfig): Promise<RunningControlPlane> {
  const logger = createLogger('control-plane', cfg.logLevel);
  const auth = createAuthenticator(cfg.auth);
  const store = await openStore(cfg.policyStore, cfg, { createTables: cfg.createTables });
  const schemas = new RoutedSchemaRegistry({
    glue: cfg.schemaCheck === 'glue' ? new GlueSchemaRegistry(glueClient(cfg), cfg.glueRegistry) : undefined,
    csr:
      cfg.schemaCheckOff || cfg.schemaRegistry === undefined
        ? undefined
        : new ConfluentSchemaRegistry(new ConfluentRegistryClient(cfg.schemaRegistry)),
  });
  const evidence = cfg.evidenceIndex
    ? await openEvidenceIndex(cfg.evidenceIndexStore, cfg, {
        retentionDays: cfg.evidenceRetentionDays,
        maxRows: cfg.evidenceIndexMaxRows,
        createTables: cfg.createTables,
      })
    : undefined;
  const indexer = evidence
    ? new EvidenceIndexer({
        brokers: cfg.brokers,
        topic: cfg.evidenceTopic,
        groupId: cfg.evidenceIndexGroupId,
        index: evidence,
        logger,
      })
    : undefined;
  const evidenceStatus = indexer ? () => indexer.status() : () => disabledStatus(cfg.evidenceIndexReason);
  const view = new SignalsView();
  const feed = cfg.signalsView
    ? new SignalsFeed({
        brokers: cfg.brokers,
        signalsTopic: cfg.signalsTopic,
        incidentsTopic: cfg.incidentsTopic,
        acksTopic: `${cfg.incidentsTopic}${ACKS_TOPIC_SUFFIX}`,
        view,
        logger,
      })
    : undefined;
  const signals = {
    view,
    feed,
    staleAfterSec: cfg.signalsStaleAfterSec,
    disabledReason: feed ? undefined : cfg.signalsViewReason,
  };
  const shadowEvidence = new ShadowFeed({ brokers: cfg.brokers, topic: cfg.shadowEvidenceTopic, logger });
  const app = await buildApp({ store, auth, schemas, evidence, evidenceStatus, shadowEvidence, logger, signals });
  let url: string;
  try {
    url = await app.listen({ port: cfg.port, host: cfg.host });
  } catch (err) {
    // A port in use is fatal: release what was opened so nothing keeps the process alive.
    await app.close().catch(() => {});
    await evidence?.close();
    await store.close();
    throw err;
  }
  // The API serves without the index consumer: a broker outage must not take policies down.
  indexer?.start();
  feed?.start();
  logger.info(
    {
      url,
      store: store.kind,
      auth: auth.mode,
      schemaCheck: cfg.schemaCheck,
      evidenceIndex: cfg.evidenceIndex,
      ...(cfg.evidenceIndex
        ? {
            brokers: cfg.brokers,
            evidenceTopic: cfg.evidenceTopic,
            evidenceIndexStore: cfg.evidenceIndexStore,
            evidenceIndexGroupId: cfg.evidenceIndexGroupId,
            evidenceRetentionDays: cfg.evidenceRetentionDays,
          }
        : {}),
    },
    'control plane listening',
  );
  logger.info({ schemaCheck: cfg.schemaCheck, reason: cfg.schemaCheckReason }, 'schema id check');
  if (!indexer) logger.info({ reason: cfg.evidenceIndexReason }, 'evidence index disabled');
  return {
    url,
    async close() {
      await app.close();
      await indexer?.stop();
      await feed?.stop();
      await shadowEvidence.stop();
      await evidence?.close();
      await store.close();
    },
  };
}
