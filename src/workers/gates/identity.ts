/**
 * IDENTITY: who produced the record, with a confidence (design section 10).
 * HIGH: the policy's trusted_principal_header carries `<principal>.<keyId>.<hex HMAC-SHA256(principal)>`
 * set by platform infrastructure; it is verified against snapshot.identity_keys[keyId], never
 * trusted as is. Verdicts are cached per header value (a producer sends the same value on every
 * record), so the HMAC runs once per principal, not per record.
 * MEDIUM: the curated topic owner (owner_producer_id). LOW: a claim in the payload or a header.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ProducerIdentitySettings } from '../../models/policy.js';
import { getDotted } from './paths.js';
import type { GateSpec } from './spec.js';
import { headerText, type RawRecord, type ReasonCodeTable } from './types.js';

export const GATE = 'IDENTITY' as const;

export const REASON_CODES: ReasonCodeTable = {
  INVALID_PRINCIPAL_SIGNATURE:
    'The trusted principal header has a signature that does not verify; identity falls back to a lower confidence.',
  UNKNOWN_IDENTITY_KEY: 'The trusted principal header names a key id absent from the snapshot identity_keys.',
  MALFORMED_PRINCIPAL_HEADER: 'The trusted principal header is not `<principal>.<keyId>.<hex hmac>`.',
  PRODUCER_MISMATCH:
    'A LOW-confidence producer claim (payload field or header) differs from the topic owner (or the verified principal).',
};

export interface Identity {
  producerId: string | null;
  confidence: 'HIGH' | 'MEDIUM' | 'LOW' | 'NONE';
  codes: string[] | null;
}

export interface CompiledIdentity {
  header: string | null;
  owner: string | null;
  claimPath: string[] | null;
  claimHeader: string | null;
  keys: Map<string, Buffer>;
  /** header value -> verified principal, or a reason code string prefixed with '!' */
  verified: Map<string, string>;
  /**
   * The last header value's bytes (a copy: a view would keep the whole batch buffer alive) and
   * its verdict: consecutive records of a producer carry the same bytes, so one native compare
   * replaces decoding the value and hashing it for the Map lookup.
   */
  lastBytes: Uint8Array | null;
  lastVerdict: string;
}

/** identity_keys values are hex when they look like it (even length, >= 32 hex digits), else UTF-8. */
export function keyBytes(v: string): Buffer {
  return /^(?:[0-9a-fA-F]{2}){16,}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'utf8');
}

export function compileKeys(keys: Record<string, string>): Map<string, Buffer> {
  return new Map(Object.entries(keys).map(([id, v]) => [id, keyBytes(v)]));
}

export function compile(settings: ProducerIdentitySettings | undefined, keys: Map<string, Buffer>): CompiledIdentity {
  return {
    header: settings?.trusted_principal_header ?? null,
    owner: settings?.owner_producer_id ?? null,
    claimPath: settings?.claim_field ? settings.claim_field.split('.') : null,
    claimHeader: settings?.claim_header ?? null,
    keys,
    verified: new Map(),
    lastBytes: null,
    lastVerdict: '',
  };
}

/** Verifies one header value: the principal, or '!' + a reason code. */
export function verifyPrincipal(value: string, keys: Map<string, Buffer>): string {
  const sig = value.lastIndexOf('.');
  const kid = sig > 0 ? value.lastIndexOf('.', sig - 1) : -1;
  if (kid <= 0) return '!MALFORMED_PRINCIPAL_HEADER';
  const hex = value.slice(sig + 1);
  if (!/^[0-9a-f]{64}$/i.test(hex)) return '!MALFORMED_PRINCIPAL_HEADER';
  const key = keys.get(value.slice(kid + 1, sig));
  if (key === undefined) return '!UNKNOWN_IDENTITY_KEY';
  const principal = value.slice(0, kid);
  const expected = createHmac('sha256', key).update(principal).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex')) ? principal : '!INVALID_PRINCIPAL_SIGNATURE';
}

/** The same (non-fatal) decoding as headerText. */
const UTF8 = new TextDecoder('utf-8');

/** Header value bytes (last occurrence wins), or undefined when absent. */
function headerBytes(rec: RawRecord, name: string): Uint8Array | undefined {
  for (let i = rec.headerNames.length - 1; i >= 0; i--) if (rec.headerNames[i] === name) return rec.headerValues[i];
  return undefined;
}

export function evaluate(c: CompiledIdentity, rec: RawRecord, payload: unknown): Identity {
  let codes: string[] | null = null;
  let principal: string | null = null;
  if (c.header !== null) {
    const hb = headerBytes(rec, c.header);
    if (hb !== undefined) {
      let v: string;
      const last = c.lastBytes;
      if (last !== null && last.length === hb.length && Buffer.compare(last, hb) === 0) v = c.lastVerdict;
      else {
        const hv = UTF8.decode(hb);
        const known = c.verified.get(hv);
        if (known === undefined) {
          v = verifyPrincipal(hv, c.keys);
          if (c.verified.size >= 4096) c.verified.clear(); // bounded: forged values must not grow it
          c.verified.set(hv, v);
        } else v = known;
        c.lastBytes = hb.slice();
        c.lastVerdict = v;
      }
      if (v.charCodeAt(0) === 33) codes = [v.slice(1)];
      else principal = v;
    }
  }
  let claim: string | null = null;
  if (c.claimPath !== null) {
    const v = getDotted(payload, c.claimPath);
    if (typeof v === 'string' || typeof v === 'number') claim = String(v);
  }
  if (claim === null && c.claimHeader !== null) claim = headerText(rec, c.claimHeader) ?? null;
  const reference = c.owner ?? principal;
  if (claim !== null && reference !== null && claim !== reference) {
    codes = codes === null ? ['PRODUCER_MISMATCH'] : [...codes, 'PRODUCER_MISMATCH'];
  }
  if (principal !== null) return { producerId: principal, confidence: 'HIGH', codes };
  if (c.owner !== null) return { producerId: c.owner, confidence: 'MEDIUM', codes };
  if (claim !== null) return { producerId: claim, confidence: 'LOW', codes };
  return { producerId: null, confidence: 'NONE', codes };
}

/** Leaves who produced the record for the evidence, whether or not the gate fails. */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    const d = j.decoded!;
    const who = evaluate(j.ds!.identity, j.rec, d.ok ? d.value : undefined);
    j.who = who;
    return who.codes;
  },
};
