/** `signal-factory signals`: the Signal Engine (docs/signals.md). */
import type { Server } from 'node:http';
import { runService } from '../common/lifecycle.js';
import { createLogger } from '../common/logger.js';
import { startProbeServer } from '../main/http.js';
import { signalsConfig } from '../signals/config.js';
import { SignalEngine } from '../signals/engine.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: signal-factory signals [--help]

Consumes signal_factory.evidence and computes per-dataset signals (compliance, volume,
freshness, identity, PII), publishes snapshots to signal_factory.signals and incidents to
signal_factory.incidents (docs/signals.md). Configuration comes from the environment:
  SF_KAFKA_BROKERS, SF_EVIDENCE_TOPIC, SF_CONTROL_PLANE_URL, SF_CONTROL_PLANE_TOKEN,
  SF_SIGNALS_GROUP_ID, SF_SIGNALS_TOPIC, SF_INCIDENTS_TOPIC, SF_SIGNALS_PARTIALS_TOPIC,
  SF_SIGNALS_TOPIC_PARTITIONS, SF_SIGNALS_HTTP_PORT, SF_SIGNALS_BATCH_SIZE, SF_SIGNALS_BATCH_WAIT_MS,
  SF_SIGNALS_EVAL_INTERVAL_MS, SF_SIGNALS_BUCKET_SEC, SF_SIGNALS_HORIZON_MIN,
  SF_SIGNALS_ALLOWED_LATENESS_SEC, SF_SIGNALS_MIN_RECORDS, SF_SIGNALS_OPEN_AFTER_SEC,
  SF_SIGNALS_RESOLVE_AFTER_SEC, SF_SIGNALS_DEDUP_LOOKBACK, SF_SIGNALS_INSTANCE_ID,
  SF_SIGNALS_SESSION_TIMEOUT_MS, SF_SIGNALS_TRANSACTION_TIMEOUT_MS,
  SF_POLICY_REFRESH_MS, SF_STARTUP_TIMEOUT_MS, SF_SHUTDOWN_DEADLINE_MS, SF_LOG_LEVEL
  (see the README's configuration table).
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const cfg = signalsConfig();
  const log = createLogger('signals', cfg.logLevel);
  const engine = new SignalEngine(cfg, log);
  let server: Server | undefined;
  return runService(
    {
      start: async (signal) => {
        server = await startProbeServer(cfg.httpPort, {
          live: () => true,
          readiness: () => engine.readiness(),
          registry: engine.metrics.registry,
        });
        await engine.start(signal);
      },
      stop: () => engine.stop().finally(() => server?.close()),
      phase: () => (server ? engine.phase() : `opening the probe port ${cfg.httpPort}`),
      failure: engine.failure,
    },
    { log, startupTimeoutMs: cfg.startupTimeoutMs, shutdownDeadlineMs: cfg.shutdownDeadlineMs },
  );
}
