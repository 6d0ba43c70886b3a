/**
 * Writes the PII corpora under test/fixtures/pii (committed; re-run only to change them):
 * - labelled.jsonl: one `{ "text", "class" }` per line, values built from public specifications:
 *   the SWIFT IBAN registry (country, length, mod-97 check digits), the numbering plans of
 *   libphonenumber's metadata (its example numbers, national and international formats),
 *   RFC 5737/3849 documentation addresses, RFC 2606 and RFC 3492 (punycode) e-mail domains,
 *   SSA SSN ranges, card network prefixes and lengths with Luhn check digits, AWS's documented
 *   key id shape; `class: null` lines are ordinary business strings.
 * - business-events.jsonl: realistic events without PII (UUIDs, ISO timestamps, SKUs, prices,
 *   ZIP codes, versions, hashes, quantities, durations), the precision corpus.
 * Deterministic (seeded).
 *   npx tsc -p tsconfig.json && node dist/perf/pii-corpus.js
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CountryCode, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { rng } from '../src/dev/orders.js';

const OUT = resolve(fileURLToPath(import.meta.url), '../../../test/fixtures/pii');
const rand = rng(16);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
const hex = (n: number) => createHash('sha256').update(String(rand())).digest('hex').slice(0, n);

// SWIFT IBAN registry: country code and IBAN length.
const REGISTRY =
  'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30';

function mod97(s: string): number {
  let r = 0;
  for (const ch of s) {
    const v = /[0-9]/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of v) r = (r * 10 + Number(d)) % 97;
  }
  return r;
}

/** A valid IBAN: the BBAN (bank code letters where many countries have them, then digits), check digits by ISO 7064. */
function iban(cc: string, len: number): string {
  const letters = rand() < 0.5 ? 4 : 0;
  const bban =
    Array.from({ length: letters }, () => String.fromCharCode(65 + Math.floor(rand() * 26))).join('') +
    digits(len - 4 - letters);
  const check = 98 - mod97(`${bban}${cc}00`);
  return `${cc}${String(check).padStart(2, '0')}${bban}`;
}

const group4 = (s: string) => s.replace(/(.{4})(?=.)/g, '$1 ');

function luhnComplete(prefix: string, len: number): string {
  const body = prefix + digits(len - prefix.length - 1);
  for (let d = 0; d < 10; d++) {
    const n = body + d;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let x = Number(n[n.length - 1 - i]);
      if (i & 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error('unreachable');
}

const CARD_NETWORKS: Array<[string, number, number[]]> = [
  ['4', 16, [4, 4, 4, 4]],
  ['51', 16, [4, 4, 4, 4]],
  ['2221', 16, [4, 4, 4, 4]],
  ['34', 15, [4, 6, 5]],
  ['37', 15, [4, 6, 5]],
  ['6011', 16, [4, 4, 4, 4]],
  ['3528', 16, [4, 4, 4, 4]],
  ['36', 14, [4, 6, 4]],
  ['2014', 15, [4, 7, 4]],
  ['2131', 15, [4, 6, 5]],
  ['62', 16, [4, 4, 4, 4]],
];

const grouped = (s: string, sizes: number[], sep: string) => {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(s.slice(i, i + n));
    i += n;
  }
  return out.join(sep);
};

const PHONE_REGIONS: CountryCode[] = [
  'IL',
  'JP',
  'CN',
  'GB',
  'DE',
  'FR',
  'IN',
  'AU',
  'NL',
  'KR',
  'US',
  'IT',
  'ES',
  'BR',
];
/** National formats covered by the default region policy (docs/gates.md); the rest only in international form. */
const NATIONAL_COVERED = new Set<CountryCode>(['IL', 'JP', 'CN', 'GB', 'DE', 'FR', 'IN', 'AU', 'NL', 'KR', 'US']);

const TEMPLATES = ['{}', 'contact: {}', '({})', 'ref {}.', '"{}"', '[{}]', 'value={};', 'see {} for details'];
const wrap = (v: string) => pick(TEMPLATES).replace('{}', v);

function labelled(): Array<{ text: string; class: string | null }> {
  const out: Array<{ text: string; class: string | null }> = [];
  const add = (cls: string | null, v: string) => out.push({ text: wrap(v), class: cls });
  for (const e of REGISTRY.split(' ')) {
    const cc = e.slice(0, 2);
    const len = Number(e.slice(2));
    for (let i = 0; i < 2; i++) {
      add('IBAN', iban(cc, len));
      add('IBAN', group4(iban(cc, len)));
    }
  }
  for (const r of PHONE_REGIONS) {
    const p = getExampleNumber(r, examples)!;
    const intl = p.formatInternational();
    add('PHONE', intl);
    add('PHONE', intl.replace(/ /g, '-'));
    add('PHONE', p.format('E.164'));
    if (NATIONAL_COVERED.has(r)) {
      add('PHONE', p.formatNational());
      add('PHONE', p.formatNational().replace(/ /g, '-'));
    }
  }
  for (let i = 0; i < 40; i++) {
    const v4 = `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${Math.floor(rand() * 255)}`;
    add('IP_ADDRESS', pick([v4, `(${v4})`, `${v4},`, `<${v4}>`, `ip:${v4}`]));
    add('IP_ADDRESS', pick([`2001:db8::${hex(4)}`, `2001:db8:${hex(4)}::1`, `(2001:db8::${hex(3)}:1)`]));
  }
  const domains = [
    'example.com',
    'example.org',
    'mail.example.net',
    'xn--bcher-kva.example',
    'xn--mnchen-3ya.de',
    'example.xn--p1ai',
    'xn--80ak6aa92e.com',
  ];
  for (let i = 0; i < 40; i++)
    add('EMAIL', `${pick(['ada', 'j.doe', 'ops+alerts', 'user_01', 'o.brien'])}@${pick(domains)}`);
  for (let i = 0; i < 40; i++) {
    const area = String(1 + Math.floor(rand() * 664)).padStart(3, '0');
    const ssn = `${area}${String(1 + Math.floor(rand() * 98)).padStart(2, '0')}${String(1 + Math.floor(rand() * 9998)).padStart(4, '0')}`;
    add('US_SSN', grouped(ssn, [3, 2, 4], pick(['-', ' ', '.'])));
  }
  for (const [prefix, len, sizes] of CARD_NETWORKS) {
    for (let i = 0; i < 4; i++) {
      const pan = luhnComplete(prefix, len);
      add('PAYMENT_CARD', pick([pan, grouped(pan, sizes, ' '), grouped(pan, sizes, '-')]));
    }
  }
  const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  for (let i = 0; i < 20; i++)
    add('CLOUD_ACCESS_KEY', `${pick(['AKIA', 'ASIA'])}${Array.from({ length: 16 }, () => pick([...B32])).join('')}`);
  for (const s of businessStrings(300)) out.push({ text: s, class: null });
  return out;
}

/** Ordinary strings of business events: none is PII. */
function businessStrings(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    out.push(...Object.values(businessEvent(i)).filter((v): v is string => typeof v === 'string'));
  return out.slice(0, n);
}

function businessEvent(_i: number): Record<string, unknown> {
  const uuid = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const ts = new Date(1767225600000 + Math.floor(rand() * 3e10)).toISOString();
  return {
    event_id: uuid,
    occurred_at: ts,
    local_date: ts.slice(0, 10),
    local_time: ts.slice(11, 19),
    sku: `${pick(['SKU', 'ART', 'P'])}-${digits(6)}-${pick(['BLU', 'RED', 'M', 'XL'])}`,
    price: `${Math.floor(rand() * 5000)}.${digits(2)}`,
    price_eur: `${Math.floor(rand() * 5000)},${digits(2)} EUR`,
    amount_cents: String(Math.floor(rand() * 1e7)),
    zip: pick([
      digits(5),
      `${digits(5)}-${digits(4)}`,
      `${pick(['SW1A', 'EC1A', 'M1'])} ${digits(1)}AA`,
      digits(4),
      `${digits(3)}-${digits(4)}`,
    ]),
    version: pick([
      `${digits(1)}.${digits(2)}.${digits(1)}`,
      `v${digits(1)}.${digits(1)}.${digits(2)}`,
      `${digits(1)}.${digits(1)}.${digits(1)}-rc.${digits(1)}`,
    ]),
    git_sha: hex(40),
    content_hash: `sha256:${hex(64)}`,
    order_ref: `ORD-${digits(8)}`,
    invoice: `INV/${ts.slice(0, 4)}/${digits(6)}`,
    tracking: `1Z${hex(6).toUpperCase()}${digits(10)}`,
    duration: `PT${Math.floor(rand() * 59)}M${Math.floor(rand() * 59)}S`,
    epoch_ms: String(1767225600000 + Math.floor(rand() * 3e10)),
    ratio: `${(rand() * 100).toFixed(3)}%`,
    dims: `${Math.floor(rand() * 200)}x${Math.floor(rand() * 200)}x${Math.floor(rand() * 200)} cm`,
    range: `${digits(3)}-${digits(3)}`,
    batch: `${ts.slice(0, 10).replace(/-/g, '')}-${digits(4)}`,
    note: pick([
      'Standard widget, blue, size M',
      'Back-ordered until 2026-02-01',
      'Qty 12 @ 3.50 each',
      'Build 2026.01.15.3 deployed',
      'Ticket #48213 closed',
    ]),
    qty: Math.floor(rand() * 50),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lab = labelled();
  writeFileSync(join(OUT, 'labelled.jsonl'), `${lab.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const events = Array.from({ length: 1000 }, (_, i) => JSON.stringify(businessEvent(i)));
  writeFileSync(join(OUT, 'business-events.jsonl'), `${events.join('\n')}\n`);
  console.log(`labelled: ${lab.length} lines; business events: ${events.length}`);
}
