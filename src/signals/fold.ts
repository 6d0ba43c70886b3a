/**
 * Stage 1's pure core: folds consumed evidence into partial aggregates per (dataset, bucket) for
 * each evidence partition, dropping repeats (dedup.ts). `drain()` hands out what was folded since
 * the last drain; the caller publishes it and commits the offsets in one transaction.
 */
import type { EvidenceEvent } from '../models/index.js';
import { RawWatermarks } from './dedup.js';
import { type Counts, emptyCounts, foldEvent, type PartialAggregate, partialId } from './partial.js';

interface Span {
  from: number;
  to: number;
  /** dataset -> bucket start -> counts */
  datasets: Map<string, Map<number, Counts>>;
}

export interface FoldStats {
  folded: number;
  duplicates: number;
  unresolved: number;
}

export class Folder {
  private readonly watermarks = new Map<number, RawWatermarks>();
  private readonly spans = new Map<number, Span>();
  readonly stats: FoldStats = { folded: 0, duplicates: 0, unresolved: 0 };

  constructor(private readonly bucketMs: number) {}

  /** The dedup state of an evidence partition (created empty). */
  watermarksOf(partition: number): RawWatermarks {
    let w = this.watermarks.get(partition);
    if (!w) {
      w = new RawWatermarks();
      this.watermarks.set(partition, w);
    }
    return w;
  }

  /** Forgets a revoked partition: its next owner rebuilds the dedup state. */
  forget(partition: number): void {
    this.watermarks.delete(partition);
    this.spans.delete(partition);
  }

  add(e: EvidenceEvent, partition: number, offset: number): void {
    let span = this.spans.get(partition);
    if (!span) {
      span = { from: offset, to: offset, datasets: new Map() };
      this.spans.set(partition, span);
    }
    span.to = offset;
    if (!this.watermarksOf(partition).admit(e.source.raw_topic, e.source.partition, e.source.offset)) {
      this.stats.duplicates++;
      return;
    }
    if (e.dataset_urn === null) {
      this.stats.unresolved++;
      return;
    }
    const seen = Date.parse(e.timestamp);
    const bucket = seen - (seen % this.bucketMs);
    let buckets = span.datasets.get(e.dataset_urn);
    if (!buckets) {
      buckets = new Map();
      span.datasets.set(e.dataset_urn, buckets);
    }
    let c = buckets.get(bucket);
    if (!c) {
      c = emptyCounts();
      buckets.set(bucket, c);
    }
    foldEvent(c, e, seen, Date.parse(e.source.event_time));
    this.stats.folded++;
  }

  /** The partials folded since the last drain, and the next offset to commit per partition. */
  drain(foldedAt: number): { partials: PartialAggregate[]; commit: Array<{ partition: number; offset: number }> } {
    const partials: PartialAggregate[] = [];
    const commit: Array<{ partition: number; offset: number }> = [];
    for (const [partition, span] of this.spans) {
      const source = { partition, from: span.from, to: span.to };
      for (const [dataset_urn, buckets] of span.datasets) {
        for (const [bucket, c] of buckets) {
          partials.push({
            ...c,
            id: partialId(dataset_urn, bucket, source),
            dataset_urn,
            bucket,
            source,
            folded_at: foldedAt,
          });
        }
      }
      commit.push({ partition, offset: span.to + 1 });
    }
    this.spans.clear();
    return { partials, commit };
  }
}
