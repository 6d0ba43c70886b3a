/**
 * `signal-factory replay --dataset <urn> [--since] [--until] [--reason CODE] [--to-topic T] [--dry-run]`
 * (INTERFACE.md): re-judge a dataset's quarantined records with the current policy and republish
 * those that now pass (src/replay/replay.ts). One NDJSON line per record in scope on stdout, a
 * summary on stderr, and (not in a dry run) a `replay.run` entry in the control plane's audit log.
 * Exit 0: done (records that still fail are reported, not an error); 1: a record could not be
 * read or republished, or the control plane / Kafka / S3 failed; 2: usage or configuration.
 */
import { randomUUID } from 'node:crypto';
import { s3Client } from '../common/aws.js';
import { ConfigError, commonConfig } from '../common/config.js';
import { confluentRegistryConfig } from '../common/confluent-registry.js';
import { callApi } from '../common/control-plane-api.js';
import { createLogger } from '../common/logger.js';
import { parseKeys } from '../main/config.js';
import { schemaRegistryCache } from '../main/enforcer.js';
import { EnforcerMetrics } from '../main/metrics.js';
import { PolicySnapshots } from '../main/policy-snapshot.js';
import { connectPublisher, type Publisher } from '../replay/publisher.js';
import { openQuarantine } from '../replay/quarantine-store.js';
import { type ReplayLine, type ReplaySummary, replay, type SnapshotSource } from '../replay/replay.js';
import type { PolicySnapshot } from '../workers/protocol.js';
import { oneOf, parseCommandArgs, UsageError } from './args.js';
import { bearer } from './bearer.js';

const HELP = `Usage: signal-factory replay --dataset <urn> [--since <time>] [--until <time>] [--reason <code>]
                             [--to-topic <topic>] [--dry-run]

Re-reads the dataset's quarantined records (SF_QUARANTINE_URI), judges them with the dataset's
CURRENT policy (the enforcer's gate pipeline), and republishes those that now pass to the policy's
blessed_topic (or --to-topic) with their original key, value, timestamp and headers, plus
sf-original-evidence-id, sf-evidence-id (the new PASS evidence), sf-source and sf-replay-id.
A record is republished once: a ledger marker per original evidence id (<quarantine>/_replayed/)
makes a second run skip it (ALREADY_REPLAYED). Prints one JSON line per record, a summary on
stderr, and records the run in the audit log (replay.run) through the control plane.

Options:
  --dataset <urn>     the dataset (required)                          [env SF_REPLAY_DATASET]
  --since <time>      only records at or after it: ISO 8601, or 30m / 24h / 7d ago [env SF_REPLAY_SINCE]
  --until <time>      only records at or before it (same forms)       [env SF_REPLAY_UNTIL]
  --reason <code>     only records whose original evidence has this reason code; a bare code
                      (MISSING_FIELD) matches any field (MISSING_FIELD:x) [env SF_REPLAY_REASON]
  --to-topic <topic>  republish here instead of the blessed topic     [env SF_REPLAY_TO_TOPIC]
  --dry-run           judge and report only (WOULD_REPUBLISH): nothing republished, marked
                      or audited                                        [env SF_REPLAY_DRY_RUN=1]
  --url <url>         SF_CONTROL_PLANE_URL [http://127.0.0.1:8080]
  --token <jwt>       SF_CONTROL_PLANE_TOKEN (admin or an owner team of the dataset); without one,
                      and with SF_AUTH_JWT_SECRET set (development), a 10-minute admin token is minted
  -h, --help          this help
Also read: SF_QUARANTINE_URI (required), SF_KAFKA_BROKERS, SF_AWS_ENDPOINT, SF_GLUE_REGISTRY, SF_SCHEMA_REGISTRY_URL,
SF_IDENTITY_KEYS, SF_QUARANTINE_SSE, SF_QUARANTINE_KMS_KEY_ID (for the ledger markers).
Exit codes: 0 done; 1 a record could not be read or republished, or a dependency failed; 2 usage.
`;

const RELATIVE = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** ISO 8601 date-time (or date), or `<n>s|m|h|d` before now. */
export function parseTime(name: string, raw: string, now = Date.now()): Date {
  const rel = RELATIVE.exec(raw);
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2]]);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`${name} must be an ISO 8601 time or <n>s|m|h|d (ago), got "${raw}"`);
  return new Date(ms);
}

const DRY_RUN_VALUES = ['1', 'true', '0', 'false'] as const;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    dataset: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    reason: { type: 'string' },
    'to-topic': { type: 'string' },
    'dry-run': { type: 'boolean' },
    url: { type: 'string' },
    token: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = process.env;
  const dataset = values.dataset ?? (env.SF_REPLAY_DATASET || undefined);
  if (!dataset) throw new UsageError('--dataset <urn> is required');
  const sinceRaw = values.since ?? (env.SF_REPLAY_SINCE || undefined);
  const untilRaw = values.until ?? (env.SF_REPLAY_UNTIL || undefined);
  const since = sinceRaw === undefined ? undefined : parseTime('--since', sinceRaw);
  const until = untilRaw === undefined ? undefined : parseTime('--until', untilRaw);
  if (since && until && since > until) throw new UsageError('--since is after --until');
  const dryVar = env.SF_REPLAY_DRY_RUN ? oneOf('SF_REPLAY_DRY_RUN', env.SF_REPLAY_DRY_RUN, DRY_RUN_VALUES) : '0';
  const dryRun = values['dry-run'] ?? (dryVar === '1' || dryVar === 'true');
  const reason = values.reason ?? (env.SF_REPLAY_REASON || undefined);
  const toTopic = values['to-topic'] ?? (env.SF_REPLAY_TO_TOPIC || undefined);
  const quarantineUri = env.SF_QUARANTINE_URI;
  if (!quarantineUri) throw new ConfigError('SF_QUARANTINE_URI is required: where the enforcer quarantines records');
  const url = values.url ?? (env.SF_CONTROL_PLANE_URL || 'http://127.0.0.1:8080');
  const common = commonConfig();
  const token = await bearer(values.token ?? (env.SF_CONTROL_PLANE_TOKEN || undefined), 'replay');
  const log = createLogger('replay', common.logLevel, 2);
  const quarantine = openQuarantine(quarantineUri, () => s3Client(common), {
    algorithm: env.SF_QUARANTINE_SSE === 'aws:kms' ? 'aws:kms' : 'AES256',
    kmsKeyId: env.SF_QUARANTINE_KMS_KEY_ID || undefined,
  });
  const snapshots = snapshotSource(url, token, common, log);
  let publisher: Publisher | undefined;
  const replayId = randomUUID();
  const out: string[] = [];
  let summary: ReplaySummary;
  try {
    // Connect first so a broker that is down fails the run before any record is judged.
    if (!dryRun) publisher = await connectPublisher(common.brokers);
    summary = await replay(
      { datasetUrn: dataset, since, until, reason, toTopic, dryRun, replayId },
      { quarantine, snapshots, publisher, onLine: (l: ReplayLine) => out.push(JSON.stringify(l)) },
    );
  } finally {
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    await publisher?.close();
  }
  process.stderr.write(`signal-factory replay: ${summaryLine(summary, dryRun)}\n`);
  if (!dryRun) {
    const r = await callApi<{ seq: number }>(
      url,
      token,
      'POST',
      `/v1/datasets/${encodeURIComponent(dataset)}/replays`,
      {
        replay_id: replayId,
        policy_version: summary.policy_version,
        to_topic: summary.to_topic,
        ...(since ? { since: since.toISOString() } : {}),
        ...(until ? { until: until.toISOString() } : {}),
        ...(reason ? { reason } : {}),
        scanned: summary.scanned,
        now_pass: summary.now_pass,
        republished: summary.republished,
        already_replayed: summary.already_replayed,
        still_fail: summary.still_fail,
        failed: summary.failed,
      },
    );
    process.stderr.write(`signal-factory replay: audited as replay.run (audit seq ${r.body.seq})\n`);
  }
  return summary.failed > 0 ? 1 : 0;
}

function summaryLine(s: ReplaySummary, dryRun: boolean): string {
  const to = s.to_topic ? ` to ${s.to_topic}` : '';
  return (
    `replay ${s.replay_id} with policy version ${s.policy_version}: ${s.scanned} quarantined record(s) in scope, ` +
    `${s.now_pass} now pass, ${dryRun ? `${s.now_pass - s.already_replayed} would be republished` : `${s.republished} republished`}${to}, ` +
    `${s.already_replayed} already replayed, ${s.still_fail} still fail, ${s.failed} failed${dryRun ? ' (dry run: nothing republished)' : ''}`
  );
}

/** The enforcer's own snapshot component: control-plane policies plus the Glue schemas records name. */
function snapshotSource(
  url: string,
  token: string,
  common: ReturnType<typeof commonConfig>,
  log: ReturnType<typeof createLogger>,
): SnapshotSource {
  const snaps = new PolicySnapshots({
    controlPlaneUrl: url,
    token,
    identityKeys: parseKeys(process.env.SF_IDENTITY_KEYS),
    registry: schemaRegistryCache({ ...common, schemaCacheTtlMs: 300_000, schemaRegistry: confluentRegistryConfig() }),
    schemaRetryMs: 60_000,
    metrics: new EnforcerMetrics(),
    log,
  });
  let refreshed = false;
  return {
    async current(wireIds) {
      if (!refreshed) {
        await snaps.refresh();
        refreshed = true;
        if (!snaps.loaded)
          throw new Error(`cannot read the policies: ${snaps.degraded ?? 'control plane unreachable'}`);
      }
      await snaps.ensureSchemas(wireIds.filter((id) => !snaps.isKnownSchema(id)));
      return JSON.parse(Buffer.from(snaps.snapshot().buffer).toString('utf8')) as PolicySnapshot;
    },
  };
}
