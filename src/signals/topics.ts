/**
 * The engine's topics, created when missing: the internal partials topic (time-retained: stage 2
 * rebuilds from its horizon), snapshots (compacted by dataset), incidents and acknowledgements
 * (compacted by incident id).
 */
import { withAdmin } from '../common/kafka-admin.js';

export const ACKS_TOPIC_SUFFIX = '.acks';

export interface TopicNames {
  partialsTopic: string;
  signalsTopic: string;
  incidentsTopic: string;
}

/** Creates what is missing; returns the partials topic's partition count (stage 2's ownership modulus). */
export async function ensureSignalTopics(brokers: string, t: TopicNames, partitions: number): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const compact = [{ name: 'cleanup.policy', value: 'compact' }];
    const wanted = [
      {
        topic: t.partialsTopic,
        numPartitions: partitions,
        configEntries: [{ name: 'retention.ms', value: String(24 * 3_600_000) }],
      },
      { topic: t.signalsTopic, numPartitions: partitions, configEntries: compact },
      { topic: t.incidentsTopic, numPartitions: partitions, configEntries: compact },
      { topic: `${t.incidentsTopic}${ACKS_TOPIC_SUFFIX}`, numPartitions: 1, configEntries: compact },
    ].filter((x) => !existing.has(x.topic));
    if (wanted.length > 0) {
      try {
        await admin.createTopics({ topics: wanted.map((x) => ({ ...x, replicationFactor: 1 })) });
      } catch (err) {
        // Another engine process created them meanwhile: fine; anything else is re-checked below.
        if (!/exist/i.test((err as Error).message)) throw err;
      }
    }
    // A topic just created may take a moment to show in metadata.
    for (let attempt = 0; ; attempt++) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: [t.partialsTopic] });
        const n = md[0]?.partitions.length ?? 0;
        if (n > 0) return n;
      } catch (err) {
        if (attempt >= 20) throw err;
      }
      if (attempt >= 20) throw new Error(`topic ${t.partialsTopic} has no partitions`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}
