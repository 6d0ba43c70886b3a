/** `signal-factory enforcer`: the Policy Enforcer process. */
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
  SF_QUARANTINE_URI, SF_GLUE_REGISTRY, SF_AWS_ENDPOINT, SF_SCHEMA_CACHE_TTL_MS,
  SF_SHUTDOWN_DEADLINE_MS, SF_LOG_LEVEL (see the README's configuration table).
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
  const server = await startProbeServer(cfg.httpPort, {
    live: () => enforcer.live(),
    readiness: () => enforcer.readiness(),
    registry: enforcer.metrics.registry,
  });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping');
    stopping ??= enforcer
      .stop()
      .then(() => tracing.shutdown())
      .finally(() => server.close());
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await enforcer.start();
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (stopping) {
        clearInterval(check);
        stopping.then(resolve, resolve);
      } else if (!enforcer.live()) {
        clearInterval(check);
        stop('fatal');
        (stopping as unknown as Promise<void>).then(resolve, resolve);
      }
    }, 200);
  });
  return enforcer.live() ? 0 : 1;
}
