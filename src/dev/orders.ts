/**
 * Deterministic order events for tests, the demo and perf: ~1 KB JSON with a nested
 * customer, 1-5 items and addresses; a seeded share of contract violations, undeclared
 * PII and poison records (invalid UTF-8, non-JSON, tombstones).
 */
export type OrderKind =
  | 'valid'
  | 'missing_customer'
  | 'bad_currency'
  | 'undeclared_pii'
  | 'not_json'
  | 'invalid_utf8'
  | 'tombstone';

export interface GeneratedRecord {
  key: Buffer;
  value: Buffer | null;
  kind: OrderKind;
}

/** mulberry32: tiny, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CITIES = ['Lyon', 'Austin', 'Leeds', 'Porto', 'Osaka', 'Quito'];
const CURRENCIES = ['USD', 'EUR', 'GBP'];

export interface Mix {
  /** Shares of each non-valid kind (the rest is valid). */
  missing_customer: number;
  bad_currency: number;
  undeclared_pii: number;
  poison: number;
}

export const DEFAULT_MIX: Mix = { missing_customer: 0.03, bad_currency: 0.02, undeclared_pii: 0.01, poison: 0.001 };

export function orderRecord(i: number, rand: () => number, mix: Mix = DEFAULT_MIX): GeneratedRecord {
  const key = Buffer.from(`o-${1_000_000 + i}`);
  const roll = rand();
  let kind: OrderKind = 'valid';
  const bounds: Array<[number, OrderKind | 'poison']> = [
    [mix.poison, 'poison'],
    [mix.poison + mix.missing_customer, 'missing_customer'],
    [mix.poison + mix.missing_customer + mix.bad_currency, 'bad_currency'],
    [mix.poison + mix.missing_customer + mix.bad_currency + mix.undeclared_pii, 'undeclared_pii'],
  ];
  const hit = bounds.find(([edge]) => roll < edge);
  if (hit?.[1] === 'poison') {
    const p = rand();
    kind = p < 0.34 ? 'not_json' : p < 0.67 ? 'invalid_utf8' : 'tombstone';
  } else if (hit) kind = hit[1];

  if (kind === 'tombstone') return { key, value: null, kind };
  if (kind === 'not_json') return { key, value: Buffer.from(`order ${i} <not json>`), kind };
  if (kind === 'invalid_utf8')
    return { key, value: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), kind };

  const items = [];
  const n = 1 + Math.floor(rand() * 5);
  for (let k = 0; k < n; k++) {
    items.push({
      sku: `sku-${Math.floor(rand() * 100000)}`,
      qty: 1 + Math.floor(rand() * 4),
      price: Math.round(rand() * 20000) / 100,
      title: 'Standard widget, blue, size M',
    });
  }
  const city = CITIES[Math.floor(rand() * CITIES.length)];
  const order: Record<string, unknown> = {
    order_id: `o-${1_000_000 + i}`,
    event_type: 'orders.created',
    customer_id: `c-${Math.floor(rand() * 1e6)}`,
    created_at: new Date(1767225600000 + i * 1000).toISOString(),
    amount: items.reduce((s, it) => s + it.qty * it.price, 0),
    currency: CURRENCIES[Math.floor(rand() * CURRENCIES.length)],
    channel: 'web',
    customer: {
      email: `customer${i}@example.com`,
      tier: 'gold',
      address: {
        line1: `${Math.floor(rand() * 999)} Main Street`,
        city,
        zip: String(10000 + Math.floor(rand() * 89999)),
        country: 'US',
      },
    },
    shipping: { method: 'ground', address: { line1: '1 Depot Road', city, zip: '10001', country: 'US' } },
    items,
  };
  if (kind === 'missing_customer') delete order.customer_id;
  if (kind === 'bad_currency') order.currency = 'XXX';
  // A payment card number in a free-text field the contract does not declare as PII.
  if (kind === 'undeclared_pii') order.notes = 'card 4111 1111 1111 1111 exp 12/29';
  return { key, value: Buffer.from(JSON.stringify(order)), kind };
}

export function* orders(count: number, seed = 42, mix: Mix = DEFAULT_MIX, start = 0): Generator<GeneratedRecord> {
  const rand = rng(seed + start);
  for (let i = start; i < start + count; i++) yield orderRecord(i, rand, mix);
}

/** The perf suite's mix (issue 8): ~5% contract violations, ~1% undeclared PII, ~0.1% poison. */
export const PERF_MIX: Mix = { missing_customer: 0.03, bad_currency: 0.02, undeclared_pii: 0.01, poison: 0.001 };
