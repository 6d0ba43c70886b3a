/**
 * National-format phone numbers (no `+`), checked against the numbering plans of
 * libphonenumber-js (full metadata: a number must be valid in its region, not merely of a
 * plausible length). International numbers (`+` and 8-15 digits) and North American formats
 * are read by pii-detect.ts without the library.
 *
 * Default region policy: a national number has no country, so it is a phone when it is valid
 * in one of PHONE_REGIONS, and only when it has a phone's shape first:
 * - a trunk prefix `0` (most of Europe, Israel, Japan, India, Australia, Brazil ...) with at
 *   least one separator between digit groups (`03-1234-5678`, `020 7946 0958`), 9 to 12 digits;
 * - or a Chinese mobile: 11 digits starting 13-19, compact or grouped 3-4-4.
 * Shapes that are ordinary numbers stay out before the library is asked: dates (no trunk 0),
 * ZIP+4 (`01234-5678`), amounts and versions (dots and commas), and digit runs glued to letters.
 */

import type { CountryCode } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Regions tried for national numbers, in order (the most common trunk-0 plans first). */
export const PHONE_REGIONS: readonly CountryCode[] = [
  'GB',
  'DE',
  'FR',
  'IL',
  'JP',
  'IN',
  'AU',
  'BR',
  'IT',
  'ES',
  'NL',
  'KR',
  'TR',
  'RU',
];

/** Answers per candidate text: the library costs tens of microseconds per region. Bounded. */
const cache = new Map<string, boolean>();
const CACHE_MAX = 10_000;

/**
 * Library look-ups left for the current string: hostile input (thousands of distinct
 * trunk-0 groups in one value) would otherwise cost milliseconds per candidate. Real values
 * hold a handful of numbers; candidates past the budget are not reported.
 */
export const LOOKUPS_PER_STRING = 8;
let lookupsLeft = LOOKUPS_PER_STRING;

/** Called once per scanned string. */
export function resetPhoneBudget(): void {
  lookupsLeft = LOOKUPS_PER_STRING;
}

/**
 * `t`: a run of digits and separators (space, `-`, `.`, parentheses) that matched nothing
 * else; `digits`: its digit count; `groups`: its digit groups.
 */
export function isNationalPhone(t: string, digits: number, groups: number): boolean {
  const shape = phoneShape(t, digits, groups);
  if (shape === null) return false;
  let ok = cache.get(t);
  if (ok === undefined) {
    if (lookupsLeft <= 0) return false;
    lookupsLeft--;
    ok = shape === 'CN' ? validIn(t, 'CN') : PHONE_REGIONS.some((r) => validIn(t, r));
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(t, ok);
  }
  return ok;
}

function validIn(t: string, region: CountryCode): boolean {
  return parsePhoneNumberFromString(t, region)?.isValid() === true;
}

const ZIP4 = /^0\d{4}-\d{4}$/;
const CN_MOBILE = /^1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4})$/;

function phoneShape(t: string, digits: number, groups: number): 'CN' | 'TRUNK' | null {
  if (t.indexOf('.') >= 0 && t.indexOf('(') < 0) {
    // Dotted numbers are phones in some plans (`06.12.34.56.78`) but also versions and
    // amounts: only the even five-pair French shape is taken.
    return /^0\d(\.\d\d){4}$/.test(t) ? 'TRUNK' : null;
  }
  if (digits === 11 && CN_MOBILE.test(t)) return 'CN';
  const trunk = t.charCodeAt(0) === 48 || (t.charCodeAt(0) === 40 && t.charCodeAt(1) === 48);
  if (!trunk || groups < 2 || digits < 9 || digits > 12 || ZIP4.test(t)) return null;
  return 'TRUNK';
}
