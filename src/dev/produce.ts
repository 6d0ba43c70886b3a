/** Produces records to a real broker and waits for every delivery (tests, perf loaders). */
import { Producer } from '../common/kafka.js';

export interface ToProduce {
  key: Buffer | null;
  value: Buffer | null;
  partition?: number;
  headers?: Array<Record<string, Buffer | string>>;
}

export async function produceAll(brokers: string, topic: string, records: Iterable<ToProduce>): Promise<number> {
  const producer = new Producer({
    'metadata.broker.list': brokers,
    'linger.ms': 5,
    'compression.type': 'lz4',
    'queue.buffering.max.messages': 500000,
    // Tests publish near-limit and megabyte poison payloads (the stack's broker allows 8 MiB).
    'message.max.bytes': 8_000_000,
    dr_cb: true,
  });
  await new Promise<void>((res, rej) => producer.connect({ timeout: 20_000 }, (e) => (e ? rej(e) : res())));
  producer.setPollInterval(10);
  let sent = 0;
  let acked = 0;
  let failed: Error | undefined;
  producer.on('delivery-report', (err) => {
    if (err) failed = err as unknown as Error;
    acked++;
  });
  for (const r of records) {
    for (;;) {
      try {
        producer.produce(topic, r.partition ?? null, r.value, r.key, Date.now(), undefined, r.headers);
        sent++;
        break;
      } catch {
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  }
  while (acked < sent && !failed) await new Promise((res) => setTimeout(res, 10));
  await new Promise<void>((res) => producer.disconnect(() => res()));
  if (failed) throw failed;
  return sent;
}
