/**
 * Sends each raw partition's evidence in consume order, and a quarantined record's evidence
 * only once its S3 object is written.
 *
 * Why: batches come back from the worker pool in any order (Piscina re-queues a task it could
 * not hand to a busy worker at the tail of its queue, so even one worker completes batches out
 * of order; several workers and the split-and-retry path do too). Sending evidence as results
 * arrived put a raw partition's evidence out of order (README promise), and sending it before
 * the quarantine write let a reader follow QUARANTINED evidence to a missing object.
 *
 * How: at dispatch, in consume order, each (batch, partition) run of records opens a chunk at
 * the tail of its partition's queue. When the batch's results arrive, its records are `put`
 * (in order) with their messages; a record can be `held` until `release` (its S3 write
 * acknowledged). The queue sends from its head while the next record is put and not held.
 * A held record delays only later records of its own partition.
 *
 * Queues hang off the tracker's PartitionState (a WeakMap), so a revoked partition's queue
 * goes with its state; records already dispatched for it still send their evidence, as before.
 */
import type { AckSink, Outgoing } from './evidence-producer.js';
import type { PartitionState } from './offsets.js';

export interface MessageSender {
  send(msg: Outgoing, sink: AckSink, tag: number): void;
}

/** One (batch, partition) run of records, in consume order. */
export class EmitChunk {
  /** Records put so far (results arrived for them). */
  filled = 0;
  /** Records already sent. */
  sent = 0;
  readonly evidence: Array<Outgoing | undefined>;
  readonly extra: Array<Outgoing | undefined>;
  readonly sinks: Array<AckSink | undefined>;
  readonly tags: Int32Array;
  readonly held: Uint8Array;

  constructor(
    readonly queue: EmitChunk[],
    readonly count: number,
  ) {
    this.evidence = new Array(count);
    this.extra = new Array(count);
    this.sinks = new Array(count);
    this.tags = new Int32Array(count);
    this.held = new Uint8Array(count);
  }
}

export class PartitionEmitter {
  private readonly queues = new WeakMap<PartitionState, EmitChunk[]>();

  constructor(private readonly sender: MessageSender) {}

  /** At dispatch, in consume order: the next `count` records of a partition. */
  open(partition: PartitionState, count: number): EmitChunk {
    let q = this.queues.get(partition);
    if (!q) {
      q = [];
      this.queues.set(partition, q);
    }
    const chunk = new EmitChunk(q, count);
    q.push(chunk);
    return chunk;
  }

  /**
   * The chunk's next record is evaluated: its evidence, an optional second message (the
   * republished record) and whether it waits for `release`. Returns its position in the chunk.
   */
  put(
    chunk: EmitChunk,
    evidence: Outgoing,
    sink: AckSink,
    tag: number,
    extra: Outgoing | undefined,
    held: boolean,
  ): number {
    const j = chunk.filled++;
    chunk.evidence[j] = evidence;
    chunk.extra[j] = extra;
    chunk.sinks[j] = sink;
    chunk.tags[j] = tag;
    chunk.held[j] = held ? 1 : 0;
    if (chunk.queue[0] === chunk && chunk.sent === j && !held) this.flush(chunk.queue);
    return j;
  }

  /** The held record at position j may go (its enforcement action is acknowledged). */
  release(chunk: EmitChunk, j: number): void {
    chunk.held[j] = 0;
    if (chunk.queue[0] === chunk && chunk.sent === j) this.flush(chunk.queue);
  }

  private flush(q: EmitChunk[]): void {
    while (q.length > 0) {
      const c = q[0];
      while (c.sent < c.filled && c.held[c.sent] === 0) {
        const j = c.sent++;
        const sink = c.sinks[j] as AckSink;
        this.sender.send(c.evidence[j] as Outgoing, sink, c.tags[j]);
        const extra = c.extra[j];
        if (extra) this.sender.send(extra, sink, c.tags[j]);
        // Let the messages go with the send: a long-held chunk keeps no sent payloads.
        c.evidence[j] = undefined;
        c.extra[j] = undefined;
        c.sinks[j] = undefined;
      }
      if (c.sent < c.count) return;
      q.shift();
    }
  }
}
