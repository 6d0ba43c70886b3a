/**
 * Duplicate evidence, dropped by stage 1. An evidence id is deterministic per (raw topic,
 * partition, offset, policy version), and the enforcer keys evidence by raw topic/partition and
 * emits it in raw-offset order, so every repeat of a raw record arrives on the same evidence
 * partition after the first: an offset at or below the highest one counted for its raw
 * partition is a repeat (an enforcer redelivery, or a re-evaluation under a new policy version).
 * State is one number per raw partition; on assignment it is rebuilt by reading back the last
 * SF_SIGNALS_DEDUP_LOOKBACK events before the committed offset (stage1.ts).
 */
export class RawWatermarks {
  private readonly byTopic = new Map<string, Map<number, number>>();

  /** True when (topic, partition, offset) was not counted yet; records it. */
  admit(topic: string, partition: number, offset: number): boolean {
    let parts = this.byTopic.get(topic);
    if (!parts) {
      parts = new Map();
      this.byTopic.set(topic, parts);
    }
    const high = parts.get(partition);
    if (high !== undefined && offset <= high) return false;
    parts.set(partition, offset);
    return true;
  }

  /** Every (topic, partition, highest offset): what a checkpoint stores (control-plane evidence index). */
  *entries(): Generator<[string, number, number]> {
    for (const [topic, parts] of this.byTopic) for (const [p, high] of parts) yield [topic, p, high];
  }

  /** The watermarks a checkpoint stored. */
  static from(entries: Iterable<readonly [string, number, number]>): RawWatermarks {
    const w = new RawWatermarks();
    for (const [topic, p, high] of entries) w.admit(topic, p, high);
    return w;
  }

  size(): number {
    let n = 0;
    for (const p of this.byTopic.values()) n += p.size;
    return n;
  }
}
