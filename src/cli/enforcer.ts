/** `signal-factory enforcer`: the Policy Enforcer process. */
import type { Server } from 'node:http';
import { runService } from '../common/lifecycle.js';
import { createLogger } from '../common/logger.js';
import { enforcerConfig } from '../main/config.js';
import { Enforcer } from '../main/enforcer.js';
import { startProbeServer } from '../main/http.js';
import { startTracing } from '../main/tracing.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: signal-factory enforcer [--help]

Consumes raw topics, runs every record through the gate pipeline and emits one evidence
event per record. Configuration comes from the environment:
  SF_KAFKA_BROKERS, SF_ENFORCER_TOPICS (required), SF_ENFORCER_GROUP_ID, SF_EVIDENCE_TOPIC,
  SF_WORKERS, SF_CONTROL_PLANE_URL, SF_CONTROL_PLANE_TOKEN, SF_ENFORCER_HTTP_PORT,
  SF_ENFORCER_OFFSET_RESET, SF_ENFORCER_BATCH_SIZE, SF_ENFORCER_MAX_INFLIGHT,
  SF_ENFORCER_MAX_INFLIGHT_KB, SF_ENFORCER_HOLD_BEFORE_PAUSE_MS,
  SF_QUARANTINE_URI, SF_GLUE_REGISTRY, SF_AWS_ENDPOINT, SF_SCHEMA_CACHE_TTL_MS,
  SF_ENFORCER_INSTANCE_ID, SF_STARTUP_TIMEOUT_MS, SF_SHUTDOWN_DEADLINE_MS, SF_LOG_LEVEL
  (see the README's configuration table).
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const cfg = enforcerConfig();
  const log = createLogger('enforcer', cfg.logLevel);
  const tracing = await startTracing();
  const enforcer = new Enforcer(cfg, log, tracing.tracer);
  let server: Server | undefined;
  return runService(
    {
      start: async (signal) => {
        // Probes first: they answer (live, not ready) while start-up waits on its dependencies.
        server = await startProbeServer(cfg.httpPort, {
          live: () => enforcer.live(),
          readiness: () => enforcer.readiness(),
          registry: enforcer.metrics.registry,
        });
        await enforcer.start(signal);
      },
      stop: () =>
        enforcer
          .stop()
          .then(() => tracing.shutdown())
          .finally(() => server?.close()),
      phase: () => (server ? enforcer.phase() : `opening the probe port ${cfg.httpPort}`),
      failure: enforcer.failure,
    },
    { log, startupTimeoutMs: cfg.startupTimeoutMs, shutdownDeadlineMs: cfg.shutdownDeadlineMs },
  );
}
