/**
 * The evidence index's state, as /readyz, /metrics and GET /v1/evidence report it, and the pure
 * pieces behind it: the state from what the consumer knows, the lag from librdkafka's statistics,
 * and the reconnect backoff. No I/O here, so each is unit-tested.
 */

export const INDEX_STATES = ['disabled', 'starting', 'catching-up', 'live', 'unavailable'] as const;
export type IndexState = (typeof INDEX_STATES)[number];

export interface IndexStatus {
  state: IndexState;
  /** Evidence events on the topic not yet in the index; null while unknown. */
  lag: number | null;
  /** The newest problem, or why the index is disabled; null when there is none. */
  last_error: string | null;
  /** Connection attempts since start (the first included). */
  attempts: number;
  /** True once a connection succeeded: until then the index has nothing current to serve. */
  ever_connected: boolean;
  /** When the state last changed (ISO). */
  since: string;
}

/** At or below this many unindexed events the index counts as live (about one consume batch). */
export const LIVE_LAG = 1000;

export interface IndexFacts {
  connected: boolean;
  everConnected: boolean;
  /** The latest connection attempt failed (we are waiting to retry). */
  connectFailed: boolean;
  /** A broker of the cluster answers (statistics or errors say so). */
  brokerUp: boolean;
  /** The subscribed topic does not exist (yet). */
  topicMissing: boolean;
  lag: number | null;
}

export function indexState(f: IndexFacts): IndexState {
  if (!f.connected) return f.everConnected || f.connectFailed ? 'unavailable' : 'starting';
  if (!f.brokerUp || f.topicMissing) return 'unavailable';
  return f.lag !== null && f.lag <= LIVE_LAG ? 'live' : 'catching-up';
}

/** Delay before connection attempt n+1 (n >= 1): doubling from `firstMs`, capped at `maxMs`. */
export function backoffMs(failures: number, firstMs = 1000, maxMs = 30_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1));
}

interface StatsPartition {
  partition: number;
  fetch_state: string;
  hi_offset: number;
  lo_offset: number;
  app_offset: number;
  stored_offset: number;
  committed_offset: number;
}
interface Stats {
  brokers?: Record<string, { nodeid: number; state: string }>;
  topics?: Record<string, { partitions: Record<string, StatsPartition> }>;
}

export interface StatsReading {
  /** A real broker (not the bootstrap placeholder) is connected. */
  brokerUp: boolean;
  /** Partitions of the topic this client fetches (assigned); 0 before assignment or when the topic is missing. */
  partitions: number;
  /** Sum over those partitions, or null when any partition's position or end is still unknown. */
  lag: number | null;
}

/**
 * Reads librdkafka's statistics JSON (statistics.interval.ms). A partition's position is the
 * furthest of what was handed to us, stored or committed; before any of these is known the
 * consumer starts at the log start (auto.offset.reset=earliest), so the lag is the whole partition.
 */
export function readStats(json: string, topic: string): StatsReading {
  const s = JSON.parse(json) as Stats;
  const brokerUp = Object.values(s.brokers ?? {}).some((b) => b.nodeid >= 0 && b.state === 'UP');
  const parts = Object.values(s.topics?.[topic]?.partitions ?? {}).filter(
    (p) => p.partition >= 0 && p.fetch_state !== 'none' && p.fetch_state !== 'stopped',
  );
  let lag: number | null = 0;
  for (const p of parts) {
    if (p.hi_offset < 0) {
      lag = null;
      break;
    }
    const known = Math.max(p.app_offset, p.stored_offset, p.committed_offset);
    const position = known >= 0 ? known : p.lo_offset;
    if (position < 0) {
      lag = null;
      break;
    }
    lag += Math.max(0, p.hi_offset - position);
  }
  return { brokerUp, partitions: parts.length, lag: parts.length > 0 ? lag : null };
}

/** The status of an index that does not run, with the reason (which variable enables it). */
export function disabledStatus(reason: string): IndexStatus {
  return { state: 'disabled', lag: null, last_error: reason, attempts: 0, ever_connected: false, since: STARTED };
}
const STARTED = new Date().toISOString();
