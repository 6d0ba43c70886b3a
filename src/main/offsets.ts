/**
 * Per-partition offset tracking for at-least-once evidence.
 *
 * Records complete out of order (batches run on several workers; evidence deliveries and
 * S3 writes finish when they finish), but a partition's committed offset may move past an
 * offset only once it and every earlier offset are done. Offsets can have gaps
 * (transactions, compaction), so we never compute positions by arithmetic: each partition
 * keeps a FIFO of segments (the records of one dispatched batch for that partition, in
 * consume order), and the commit point is the offset after the last record of the longest
 * done prefix of segments.
 *
 * On revoke the partition state is marked revoked and dropped; completions that arrive
 * later for it are ignored, so this process never commits for a partition it no longer
 * owns. The new owner reprocesses those records; evidence ids are deterministic, so
 * downstream sees duplicates with the same evidence_id, never a gap.
 */

export interface Segment {
  readonly partition: PartitionState;
  /** Highest offset in the segment. */
  lastOffset: number;
  /** Records not yet done. */
  pending: number;
  /** Bytes (values) of the segment's records, in flight until the last one is done. */
  readonly bytes: number;
}

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly fifo: Segment[];
  /** Next offset to commit (Kafka semantics: the next offset to read), or -1. */
  commitable: number;
  /** The last offset committed, or -1. */
  committed: number;
  revoked: boolean;
}

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class OffsetTracker {
  private readonly parts = new Map<string, PartitionState>();
  private inflightRecords = 0;
  private inflightBytes = 0;

  /** Records handed to the pipeline and not yet done, over owned partitions. */
  get inFlight(): number {
    return this.inflightRecords;
  }

  /** Bytes of the segments not yet done (a segment's bytes count until its last record is done). */
  get inFlightBytes(): number {
    return this.inflightBytes;
  }

  assign(topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    if (!this.parts.has(key)) {
      this.parts.set(key, { topic, partition, fifo: [], commitable: -1, committed: -1, revoked: false });
    }
  }

  /** Forget a partition (revoked or lost): its pending completions will be ignored. */
  revoke(topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    const st = this.parts.get(key);
    if (!st) return;
    st.revoked = true;
    for (const seg of st.fifo) {
      this.inflightRecords -= seg.pending;
      if (seg.pending > 0) this.inflightBytes -= seg.bytes;
    }
    this.parts.delete(key);
  }

  owned(topic: string, partition: number): PartitionState | undefined {
    return this.parts.get(tpKey(topic, partition));
  }

  /** Opens a segment for `count` records (`bytes` long) of a partition, the highest being `lastOffset` (consume order). */
  open(st: PartitionState, count: number, lastOffset: number, bytes = 0): Segment {
    const seg: Segment = { partition: st, lastOffset, pending: count, bytes };
    st.fifo.push(seg);
    this.inflightRecords += count;
    this.inflightBytes += bytes;
    return seg;
  }

  /** Marks `n` records of a segment done. */
  complete(seg: Segment, n = 1): void {
    const st = seg.partition;
    if (st.revoked) return;
    seg.pending -= n;
    this.inflightRecords -= n;
    if (seg.pending > 0) return;
    this.inflightBytes -= seg.bytes;
    if (st.fifo[0] !== seg) return;
    let i = 0;
    while (i < st.fifo.length && st.fifo[i].pending === 0) i++;
    st.commitable = st.fifo[i - 1].lastOffset + 1;
    st.fifo.splice(0, i);
  }

  /** Offsets to commit now, for partitions whose commit point advanced since the last call. */
  takeCommits(): Array<{ topic: string; partition: number; offset: number }> {
    const out: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const st of this.parts.values()) {
      if (st.commitable > st.committed) {
        out.push({ topic: st.topic, partition: st.partition, offset: st.commitable });
        st.committed = st.commitable;
      }
    }
    return out;
  }

  partitions(): PartitionState[] {
    return [...this.parts.values()];
  }
}
