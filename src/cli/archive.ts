/**
 * `signal-factory archive`: the evidence archive process (its own consumer group; docs/evidence.md).
 * `signal-factory archive query --dataset <urn> --since <time> --until <time> [--result PASS|FAIL]`:
 * prints the archived evidence of a dataset and time range as NDJSON, oldest hour first.
 */
import type { Server } from 'node:http';
import { EvidenceArchiver } from '../archive/archiver.js';
import { archiveConfig, archiveLocation } from '../archive/config.js';
import { queryArchive } from '../archive/query.js';
import { s3Client } from '../common/aws.js';
import { commonConfig } from '../common/config.js';
import { runService } from '../common/lifecycle.js';
import { createLogger } from '../common/logger.js';
import { startProbeServer } from '../main/http.js';
import { oneOf, parseCommandArgs, UsageError } from './args.js';

const HELP = `Usage: signal-factory archive
       signal-factory archive query --dataset <urn|none> --since <ISO time> [--until <ISO time>] [--result PASS|FAIL]

'archive' consumes SF_EVIDENCE_TOPIC in its own consumer group and writes every evidence event
to S3 as GZIP Parquet under SF_ARCHIVE_URI, partitioned dt=YYYY-MM-DD/hour=HH/dataset=<urn>/;
offsets are committed only after the batch's objects are stored. Variables:
  SF_ARCHIVE_URI          s3://bucket/prefix [s3://signal-factory-archive/evidence]
  SF_ARCHIVE_GROUP_ID     [signal-factory-archive]
  SF_ARCHIVE_BATCH_EVENTS events per batch [100000]; SF_ARCHIVE_BATCH_MS longest wait [60000]
  SF_ARCHIVE_HTTP_PORT    /healthz, /readyz, /metrics [9466]
  SF_KAFKA_BROKERS, SF_EVIDENCE_TOPIC, SF_AWS_ENDPOINT, AWS_REGION, SF_STARTUP_TIMEOUT_MS,
  SF_SHUTDOWN_DEADLINE_MS, SF_LOG_LEVEL (see the README's configuration table).

'query' prints the archived events of one dataset ('none': unresolved records) with
since <= timestamp < until (default until: now) as NDJSON on stdout.
`;

function isoArg(name: string, v: string): string {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be an ISO date-time, got "${v}"`);
  return new Date(t).toISOString();
}

async function query(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    dataset: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    result: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.dataset) throw new UsageError('query needs --dataset <urn> (or none)');
  if (!values.since) throw new UsageError('query needs --since <ISO time>');
  const since = isoArg('since', values.since);
  const until = values.until ? isoArg('until', values.until) : new Date().toISOString();
  if (since >= until) throw new UsageError('--since must be before --until');
  const result = values.result === undefined ? undefined : oneOf('--result', values.result, ['PASS', 'FAIL'] as const);
  const s3 = s3Client(commonConfig());
  try {
    const q = { dataset: values.dataset === 'none' ? null : values.dataset, since, until, result };
    for await (const e of queryArchive(s3, archiveLocation(), q)) {
      if (!process.stdout.write(`${JSON.stringify(e)}\n`)) {
        await new Promise((r) => process.stdout.once('drain', r));
      }
    }
  } finally {
    s3.destroy();
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'query') return query(argv.slice(1));
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const cfg = archiveConfig();
  const log = createLogger('archive', cfg.logLevel);
  const archiver = new EvidenceArchiver({
    brokers: cfg.brokers,
    topic: cfg.evidenceTopic,
    groupId: cfg.groupId,
    location: cfg.location,
    s3: s3Client(cfg),
    batchEvents: cfg.batchEvents,
    batchMs: cfg.batchMs,
    logger: log,
  });
  // A batch that cannot be written ends the process (nothing committed): a restart retries it.
  let fail: (err: Error) => void = () => {};
  const failure = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  let server: Server | undefined;
  return runService(
    {
      start: async () => {
        server = await startProbeServer(cfg.httpPort, {
          live: () => true,
          readiness: () => archiver.readiness(),
          registry: archiver.metrics.registry,
        });
        await archiver.start(cfg.startupTimeoutMs);
        archiver.run().catch(fail);
      },
      stop: () => archiver.stop().finally(() => server?.close()),
      phase: () => (server ? `connecting to ${cfg.brokers}` : `opening the probe port ${cfg.httpPort}`),
      failure,
    },
    { log, startupTimeoutMs: cfg.startupTimeoutMs, shutdownDeadlineMs: cfg.shutdownDeadlineMs },
  );
}
