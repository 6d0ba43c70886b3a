/**
 * Gate names, in the design's order (section 4). These exact strings appear in
 * evidence `validation.failed_gates` and in the `gate` metric label.
 */
export const GATES = ['RESOLUTION', 'IDENTITY', 'ENVELOPE', 'SCHEMA', 'COMPATIBILITY', 'CONTRACT', 'PII'] as const;
export type GateName = (typeof GATES)[number];

/** PII classes the PII gate detects and contracts may declare. */
export const PII_CLASSES = [
  'EMAIL',
  'PHONE',
  'PAYMENT_CARD',
  'US_SSN',
  'IBAN',
  'IP_ADDRESS',
  'CLOUD_ACCESS_KEY',
] as const;
export type PiiClass = (typeof PII_CLASSES)[number];

/**
 * A reason code is `CODE` or `CODE:<field path>`; a field path is dot-separated from the
 * payload root with `[i]` for array elements (`items[2].sku`).
 */
export function reasonCode(code: string, path?: string): string {
  return path === undefined || path === '' ? code : `${code}:${path}`;
}

/** The code part of a reason code (bounded cardinality, used as a metric label). */
export function reasonCodeBase(reason: string): string {
  const i = reason.indexOf(':');
  return i < 0 ? reason : reason.slice(0, i);
}
