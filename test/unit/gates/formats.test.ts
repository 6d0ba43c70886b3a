import assert from 'node:assert/strict';
import { test } from 'node:test';
// TypeBox's own checker by its export (installFastFormats replaces only the registry entry).
import { Format, IsDateTime as typeboxDateTime } from 'typebox/format';
import { isDateTime } from '../../../src/workers/gates/formats.js';

const fixed = [
  '2026-01-13T12:01:01.900Z',
  '2026-01-13t12:01:01z',
  '2026-01-13T12:01:01+05:30',
  '2026-01-13T12:01:01-00:00',
  '2026-01-13T12:01:01.123456789+23:59',
  '2026-01-13T12:01:01+24:00',
  '2026-01-13T12:01:01+23:60',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2000-02-29T00:00:00Z',
  '2026-04-31T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '2026-13-10T00:00:00Z',
  '2026-01-00T00:00:00Z',
  '2026-01-13T24:00:00Z',
  '2026-01-13T23:60:00Z',
  '2026-01-13T23:59:60Z',
  '2026-01-13T23:59:60+00:00',
  '2026-12-31T23:59:60Z',
  '2026-12-31T15:59:60-08:00',
  '2026-01-13T23:59:61Z',
  '2026-01-13T12:01:01.Z',
  '2026-01-13T12:01:01',
  '2026-01-13 12:01:01Z',
  '2026-01-13T12:01:01Z[Europe/Paris]',
  '2026-01-13T12:01:01+01:00[Europe/Paris][u-ca=iso8601]',
  '2026-01-13T12:01:01ZZ',
  '2026-01-13T12:01:01+0100',
  '2026-1-13T12:01:01Z',
  '+2026-01-13T12:01:01Z',
  '2026-01-13T12:01:01.5+01:00x',
  '２026-01-13T12:01:01Z',
  '',
  'T',
];

test('date-time: the fast checker agrees with TypeBox on edge cases', () => {
  for (const s of fixed) assert.equal(isDateTime(s), typeboxDateTime(s), s);
});

test('date-time: the fast checker agrees with TypeBox on 200k generated strings', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const base = '2024-02-29T23:59:59.999+23:59';
  const alphabet = '0123456789-:T tZz.+[]x9';
  let accepted = 0;
  for (let k = 0; k < 200_000; k++) {
    const chars = base.split('');
    const edits = 1 + rnd(3);
    for (let e = 0; e < edits; e++) {
      const at = rnd(chars.length + 1);
      const op = rnd(3);
      const c = alphabet[rnd(alphabet.length)];
      if (op === 0) chars[at] = c;
      else if (op === 1) chars.splice(at, 1);
      else chars.splice(at, 0, c);
    }
    const s = chars.join('');
    const want = typeboxDateTime(s);
    if (want) accepted++;
    assert.equal(isDateTime(s), want, s);
  }
  assert.ok(accepted > 1000, `only ${accepted} accepted strings generated`);
});

test('date-time: TypeBox validators use the same checker once schemas are compiled', async () => {
  await import('../../../src/workers/schemas.js');
  assert.equal(Format.Get('date-time'), isDateTime);
});
