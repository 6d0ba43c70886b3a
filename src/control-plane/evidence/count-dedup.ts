/**
 * Which consumed evidence the index counts: each raw record once, whatever at-least-once does.
 *
 * The enforcer keys evidence by raw topic/partition and emits it in raw-offset order, so every
 * re-emission of a raw record (an enforcer crash re-sends what it had not committed, with the same
 * evidence_id) arrives later on the same evidence partition: a raw offset at or below its raw
 * partition's watermark is a repeat. That is the Signal Engine's rule (src/signals/dedup.ts), and
 * the same RawWatermarks hold the state: one number per raw partition, per evidence partition.
 *
 * Unlike the Signal Engine, the index must be exact across its own restarts, so the state is not
 * rebuilt from a look-back: the index stores it as a checkpoint (the watermarks after evidence
 * offset `next - 1`) with the counts. A newly assigned partition loads its checkpoint, skips what
 * is below `next` (already counted) and goes on deciding exactly as before the restart.
 */

import type { EvidenceEvent } from '../../models/index.js';
import { RawWatermarks } from '../../signals/dedup.js';
import type { CountCheckpoint, IndexedEvidence, RawMark } from './index-store.js';

interface PartitionState {
  marks: RawWatermarks;
  /** The next evidence offset to decide; offsets below were counted (or skipped) already. */
  next: number;
}

export class CountDedup {
  private readonly parts = new Map<number, PartitionState>();

  constructor(
    private readonly topic: string,
    private readonly load: (topic: string, partition: number) => Promise<CountCheckpoint | undefined>,
    /** Whether a partition is still ours: a checkpoint loaded after its revocation is not kept. */
    private readonly assigned: (partition: number) => boolean = () => true,
  ) {}

  /** Loads the checkpoints of partitions not known yet (after an assignment). */
  async prepare(partitions: Iterable<number>): Promise<void> {
    for (const p of partitions) {
      if (this.parts.has(p) || !this.assigned(p)) continue;
      const cp = await this.load(this.topic, p);
      if (this.assigned(p)) this.parts.set(p, { marks: RawWatermarks.from(cp?.raw ?? []), next: cp?.next ?? 0 });
    }
  }

  /** Revoked partitions: their next owner starts from the stored checkpoint, and so would we. */
  forget(partitions: Iterable<number>): void {
    for (const p of partitions) this.parts.delete(p);
  }

  /** True when this evidence offset is already in the index (below its partition's checkpoint). */
  done(partition: number, offset: number): boolean {
    return offset < this.state(partition).next;
  }

  /**
   * Decides one evidence message in offset order: true when it is the first evidence of its raw
   * record (count it), false for a repeat. `raw` is undefined for a value that is not evidence.
   */
  decide(partition: number, offset: number, raw?: { raw_topic: string; partition: number; offset: number }): boolean {
    const s = this.state(partition);
    s.next = offset + 1;
    return raw === undefined ? false : s.marks.admit(raw.raw_topic, raw.partition, raw.offset);
  }

  /**
   * Decides a consumed batch (prepared partitions, offset order within each): the events to index
   * (repeats marked), the offsets to store, the partitions whose checkpoint moved, and how many
   * values were not evidence.
   */
  decideBatch(
    batch: readonly { partition: number; offset: number; value?: Buffer | null }[],
    parse: (value: Buffer | null | undefined) => EvidenceEvent | undefined,
  ): { events: IndexedEvidence[]; next: Map<number, number>; touched: Set<number>; rejected: number } {
    const events: IndexedEvidence[] = [];
    const next = new Map<number, number>();
    const touched = new Set<number>();
    let rejected = 0;
    for (const m of batch) {
      next.set(m.partition, m.offset + 1);
      if (this.done(m.partition, m.offset)) continue;
      touched.add(m.partition);
      const event = parse(m.value);
      const first = this.decide(m.partition, m.offset, event?.source);
      if (event) events.push({ event, partition: m.partition, offset: m.offset, repeat: !first });
      else rejected++;
    }
    return { events, next, touched, rejected };
  }

  /** The checkpoints to store with a batch that touched these partitions. */
  checkpoints(partitions: Iterable<number>): CountCheckpoint[] {
    return [...partitions].map((p) => {
      const s = this.state(p);
      return { topic: this.topic, partition: p, next: s.next, raw: [...s.marks.entries()] as RawMark[] };
    });
  }

  private state(partition: number): PartitionState {
    const s = this.parts.get(partition);
    if (!s) throw new Error(`evidence partition ${partition} was not prepared`);
    return s;
  }
}
