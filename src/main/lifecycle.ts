/**
 * The enforcer's start-up and steady-state bookkeeping that is not on the record path:
 * what start-up is waiting for (named when it times out), the start-up line (issue 13 item 9),
 * the warning that a new group starts at `latest` (item 8), and the consumer-lag gauge for
 * every assigned partition (item 11).
 */
import type { Gauge } from 'prom-client';
import type { TopicPartition } from '../common/kafka.js';
import type { Logger } from '../common/logger.js';
import type { EnforcerConfig } from './config.js';
import type { RawConsumer } from './consumer.js';
import { type PartitionState, tpKey } from './offsets.js';

export type StartStep = 'not started' | 'producer' | 'snapshot' | 'consumer' | 'running' | 'stopping';

export function startStepText(step: StartStep, cfg: EnforcerConfig): string {
  switch (step) {
    case 'producer':
      return `connecting the evidence producer to ${cfg.evidenceBrokers}`;
    case 'snapshot':
      return `waiting for the first policy snapshot from ${cfg.controlPlaneUrl}`;
    case 'consumer':
      return `connecting the raw consumer to ${cfg.brokers}`;
    default:
      return step;
  }
}

/** The one line that says what this process is about to talk to. */
export function startupFields(cfg: EnforcerConfig): Record<string, unknown> {
  return {
    brokers: cfg.brokers,
    evidence_brokers: cfg.evidenceBrokers,
    topics: cfg.topics instanceof RegExp ? `/${cfg.topics.source}/` : cfg.topics,
    group: cfg.groupId,
    group_instance_id: cfg.instanceId ?? null,
    offset_reset: cfg.offsetReset,
    evidence_topic: cfg.evidenceTopic,
    control_plane_url: cfg.controlPlaneUrl,
    workers: cfg.workers,
    startup_timeout_ms: cfg.startupTimeoutMs,
  };
}

/**
 * After the first assignment: partitions for which the group has no committed offset start at
 * the reset point. With `latest`, records produced before now get no evidence: say so once.
 */
export async function warnUncommitted(
  consumer: RawConsumer,
  parts: TopicPartition[],
  cfg: Pick<EnforcerConfig, 'offsetReset' | 'groupId'>,
  log: Logger,
): Promise<void> {
  if (parts.length === 0) return;
  try {
    const committed = await consumer.committed(parts, 5000);
    const fresh = parts.filter((p) => (committed.get(tpKey(p.topic, p.partition)) ?? -1) < 0);
    if (fresh.length === 0) return;
    const fields = {
      group: cfg.groupId,
      offset_reset: cfg.offsetReset,
      partitions: fresh.map((p) => `${p.topic}[${p.partition}]`),
    };
    if (cfg.offsetReset === 'latest')
      log.warn(
        fields,
        'no committed offset for these partitions: they start at the end (SF_ENFORCER_OFFSET_RESET=latest), so records produced before now get no evidence',
      );
    else log.info(fields, 'no committed offset for these partitions: they start at the beginning');
  } catch (e) {
    log.warn(
      { group: cfg.groupId, offset_reset: cfg.offsetReset, err: (e as Error).message },
      'could not read committed offsets; partitions without one start at the reset point',
    );
  }
}

/**
 * Lag per assigned partition: high watermark minus where this group resumes, that is our last
 * commit, else the group's commit on the broker, else the reset point (low watermark for
 * `earliest`, the high watermark, lag 0, for `latest`).
 */
export async function refreshLag(
  consumer: RawConsumer,
  parts: PartitionState[],
  reset: 'latest' | 'earliest',
  gauge: Gauge<'topic' | 'partition'>,
): Promise<void> {
  const unknown = parts.filter((p) => p.committed < 0).map((p) => ({ topic: p.topic, partition: p.partition }));
  const onBroker = unknown.length > 0 ? await consumer.committed(unknown, 2000) : new Map<string, number>();
  for (const p of parts) {
    let w: { low: number; high: number };
    try {
      w = await consumer.watermarks(p.topic, p.partition, 2000);
    } catch {
      continue; // broker busy or gone: the series keeps its last value
    }
    if (p.revoked) continue;
    let from = p.committed >= 0 ? p.committed : (onBroker.get(tpKey(p.topic, p.partition)) ?? -1);
    if (from < 0) from = reset === 'earliest' ? w.low : w.high;
    gauge.set({ topic: p.topic, partition: String(p.partition) }, Math.max(0, w.high - from));
  }
}
