/**
 * Format checkers on the hot path. `date-time` is checked on nearly every record (CONTRACT and
 * SCHEMA), and TypeBox's IsDateTime costs a split, two regex execs and number parsing. The
 * common RFC 3339 shape (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`) is read here by hand with the
 * same range rules; every other string (suffixes, leap seconds, odd shapes, failures of the
 * shape) goes to TypeBox's own checker, so the accepted set is TypeBox's exactly.
 */
import { Format } from 'typebox/format';

const typeboxDateTime = Format.Get('date-time') as (s: string) => boolean;

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const d2 = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/**
 * The last string accepted: SCHEMA, CONTRACT and PII each ask about the same timestamp of a
 * record (the same string object, so the comparison is a pointer check).
 */
let lastAccepted = '';

/** TypeBox's `date-time` acceptance, with a hand-read fast path for the usual shape. */
export function isDateTime(s: string): boolean {
  if (s === lastAccepted) return true;
  if (!readDateTime(s)) return false;
  lastAccepted = s;
  return true;
}

function readDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > 64) return typeboxDateTime(s);
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hr = d2(s, 11);
  const min = d2(s, 14);
  const sec = d2(s, 17);
  const t = s.charCodeAt(10);
  if (
    y1 < 0 ||
    y2 < 0 ||
    month < 0 ||
    day < 0 ||
    hr < 0 ||
    min < 0 ||
    sec < 0 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (t !== 84 && t !== 116) ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    sec === 60 // leap seconds: TypeBox's rule
  )
    return typeboxDateTime(s);
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    i++;
    const f = i;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === f) return typeboxDateTime(s);
  }
  const z = s.charCodeAt(i);
  if (i === n - 1 && (z === 90 || z === 122)) {
    // Z / z
  } else if (i === n - 6 && (z === 43 || z === 45) && s.charCodeAt(i + 3) === 58) {
    const tzH = d2(s, i + 1);
    const tzM = d2(s, i + 4);
    if (tzH < 0 || tzM < 0) return typeboxDateTime(s);
    if (tzH > 23 || tzM > 59) return false;
  } else return typeboxDateTime(s);
  if (hr > 23 || min > 59 || sec > 60) return false;
  const year = y1 * 100 + y2;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && leap ? 29 : DAYS[month]);
}

/** The checker for a format name: the fast `date-time`, else TypeBox's registry entry. */
export function formatChecker(name: string): ((s: string) => boolean) | undefined {
  return name === 'date-time' ? isDateTime : (Format.Get(name) as ((s: string) => boolean) | undefined);
}

/**
 * Makes TypeBox's compiled validators use the same checker: they capture Format.Get(format) when
 * a schema is compiled. Same acceptance, so this changes speed only. Idempotent.
 */
export function installFastFormats(): void {
  if (Format.Get('date-time') !== isDateTime) Format.Set('date-time', isDateTime);
}
