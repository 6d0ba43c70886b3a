/**
 * Author-supplied patterns run on RE2 with ECMAScript's meaning: a differential test against
 * V8 (Unicode mode, as JSON Schema specifies) on patterns that both engines accept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePattern, patternProblem } from '../../../src/workers/gates/patterns.js';

const PATTERNS = [
  'o-[0-9]+',
  '[A-Z]{3}',
  '\\d{3}-\\d{2}-\\d{4}',
  '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$',
  '[^\\s@]+@[^\\s@]+',
  '\\S+',
  'a\\sb',
  'a.b',
  '.*',
  '[.]x',
  '[\\s\\d]+',
  '[^\\s]+',
  '\\w+(-\\w+)*',
  '\\bfoo\\b.*',
  '\\u00e9+',
  '\\u{1F600}?x',
  '\\p{Lu}\\p{Ll}*',
  '(ab|a)(c|bcd)',
  'x{2,3}y?',
  '\\.\\*\\[',
  '[a\\-z]+',
  '(?:a|b)+c',
];
const ALPHABET = [
  'a',
  'b',
  'c',
  'd',
  'o',
  'x',
  'y',
  'z',
  'A',
  'E',
  'U',
  '0',
  '1',
  '9',
  '-',
  '.',
  '@',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\ufeff',
  '\u000b',
  'é',
  'É',
  '😀',
  '_',
  '%',
  '*',
  '[',
  'f',
];

function* strings(seed: number, n: number): Generator<string> {
  let x = seed;
  const rand = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
  for (let k = 0; k < n; k++) {
    let s = '';
    const len = Math.floor(rand() * 8);
    for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    yield s;
  }
}

test('RE2 with ECMAScript classes agrees with V8 (u mode) on whole-string and search matches', () => {
  const samples = [
    ...strings(7, 4000),
    'o-12',
    'EUR',
    '123-45-6789',
    'ada@example.com',
    'a b',
    'a\u00a0b',
    'a\rb',
    'a\u2028b',
    'axb',
    'ééé',
    '😀x',
    'Émile',
    'abcd',
    'xxy',
    '.*[',
    'foo bar',
    'a-b-c',
  ];
  for (const p of PATTERNS) {
    const c = compilePattern(p);
    assert.ok(c.ok, `${p} compiles on RE2`);
    const whole = new RegExp(`^(?:${p})$`, 'u');
    const search = new RegExp(p, 'u');
    for (const s of samples) {
      assert.equal(c.re.testExact(s), whole.test(s), `whole ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
      assert.equal(c.re.test(s), search.test(s), `search ${JSON.stringify(p)} on ${JSON.stringify(s)}`);
    }
  }
});

test('what RE2 cannot run is refused with a message naming the engine', () => {
  for (const p of ['(?=a)a', '(?!a)b', '(?<=a)b', '(a)\\1', '(?<n>a)\\k<n>']) {
    const why = patternProblem(p);
    assert.ok(why?.includes('RE2'), `${p}: ${why}`);
  }
  // Not ECMAScript at all: refused before translation could read it as something else.
  for (const p of ['[', '(a', 'a**', '(?P<n>a)']) {
    const why = patternProblem(p);
    assert.ok(why?.startsWith('not an ECMAScript regular expression'), `${p}: ${why}`);
  }
  // Annex B (plain mode) patterns the gate accepted before still compile: `\-` and a lone `]`.
  for (const p of ['a\\-b', 'a]']) assert.equal(patternProblem(p), null, p);
  assert.equal(patternProblem('^(a+)+$'), null);
});
