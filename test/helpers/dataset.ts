/** The orders dataset (examples/orders) registered under a unique urn for one test. */
import { ordersExample } from '../../src/dev/examples.js';
import type { EvidenceEvent } from '../../src/models/evidence.js';
import { type ControlPlane, unique } from './stack.js';

export async function ordersDataset(
  cp: ControlPlane,
  rawTopic: string,
  policy: Record<string, unknown> = {},
): Promise<{ urn: string; contractId: string }> {
  const urn = `urn:dp:orders:${unique('ds').replace(/\./g, '-')}`;
  const contractId = `dc:${unique('orders').replace(/\./g, '-')}:3`;
  await cp.put(`/v1/contracts/${contractId}`, { ...ordersExample.contract(), contract_id: contractId });
  await cp.put(`/v1/datasets/${urn}/policy`, {
    ...ordersExample.policy(),
    dataset_urn: urn,
    contract_id: contractId,
    ...policy,
  });
  await cp.put(`/v1/datasets/${urn}/resolution`, {
    rules: [{ source_type: 'TOPIC', source_value: rawTopic, dataset_urn: urn, resolution_confidence: 'HIGH' }],
  });
  return { urn, contractId };
}

/** Distinct raw (partition, offset) pairs covered by evidence. */
export const coverage = (events: EvidenceEvent[]) =>
  new Set(events.map((e) => `${e.source.partition}/${e.source.offset}`)).size;

/** Counts repeats and checks every repeat carries the same evidence_id. */
export function duplicates(events: EvidenceEvent[]): { count: number; mismatched: string[] } {
  const seen = new Map<string, string>();
  let count = 0;
  const mismatched: string[] = [];
  for (const e of events) {
    const k = `${e.source.raw_topic}/${e.source.partition}/${e.source.offset}`;
    const prev = seen.get(k);
    if (prev !== undefined) {
      count++;
      if (prev !== e.evidence_id) mismatched.push(k);
    } else seen.set(k, e.evidence_id);
  }
  return { count, mismatched };
}

/** Every offset below each partition's end has evidence. */
export function missing(events: EvidenceEvent[], ends: Map<number, number>): string[] {
  const have = new Set(events.map((e) => `${e.source.partition}/${e.source.offset}`));
  const out: string[] = [];
  for (const [p, end] of ends) for (let o = 0; o < end; o++) if (!have.has(`${p}/${o}`)) out.push(`${p}/${o}`);
  return out;
}
