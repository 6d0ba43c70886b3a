/**
 * A batch of order events that differ the way a stream's do (ids, timestamps, e-mail addresses),
 * so no per-value memo can make a batch of copies look cheaper than real traffic. Shared by the
 * gates benchmark and the worker-task A/B harness (which passes fixtures from another build).
 */
import type { PackInput } from '../../src/workers/pack.js';

export function distinctOrders(
  value: Record<string, unknown>,
  like: { topic: string; timestamp: number },
  principal: string,
  count = 256,
): PackInput[] {
  return Array.from({ length: count }, (_, i) => {
    const o = structuredClone(value) as Record<string, unknown> & { customer: Record<string, unknown> };
    o.order_id = `o-${784233 + i}`;
    o.created_at = new Date(Date.UTC(2026, 0, 13, 12, 1, 1, 900) + i * 1037).toISOString();
    o.customer.email = `ada.${i}@example.com`;
    o.correlation_id = `f3b5c1de-7a2b-4c8e-9d0f-${(0x1a2b3c4d5e6f + i).toString(16)}`;
    return {
      topic: like.topic,
      partition: 0,
      offset: i,
      timestamp: like.timestamp,
      key: Buffer.from(`o-${784233 + i}`),
      value: Buffer.from(JSON.stringify(o)),
      headers: [['x-sf-principal', Buffer.from(principal)]],
    };
  });
}
