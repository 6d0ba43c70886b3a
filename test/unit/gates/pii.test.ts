import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, evaluate } from '../../../src/workers/gates/pii.js';
import * as D from '../../../src/workers/gates/pii-detect.js';
import { CONTRACT, order, policy, rec, run, snapshot } from './fixtures.js';

const NAMES = Object.fromEntries(D.CLASS_BITS.map(([b, n]) => [n, b]));
const classes = (s: string, key = 'note') =>
  D.CLASS_BITS.filter(([b]) => D.detect(s, D.keyContext(key)) & b).map(([, n]) => n);

const positives: Array<[string, string, string?]> = [
  ['EMAIL', 'contact ada.lovelace+orders@example.co.uk please'],
  ['PHONE', 'call +44 20 7946 0958 now'],
  ['PHONE', '(555) 123-4567'],
  ['PHONE', '555-123-4567'],
  ['PHONE', '5551234567', 'mobile_number'],
  ['PAYMENT_CARD', 'card 4111 1111 1111 1111 exp'],
  ['PAYMENT_CARD', '5500-0000-0000-0004'],
  ['PAYMENT_CARD', '378282246310005'],
  ['PAYMENT_CARD', '6011111111111117'],
  ['PAYMENT_CARD', '2223000048400011'],
  ['US_SSN', 'ssn 123-45-6789'],
  ['US_SSN', '123456789', 'customer_ssn'],
  ['IBAN', 'pay to DE89 3704 0044 0532 0130 00 today'],
  ['IBAN', 'GB82WEST12345698765432'],
  ['IP_ADDRESS', 'from 192.168.10.254'],
  ['IP_ADDRESS', 'client 2001:db8:85a3::8a2e:370:7334 connected'],
  ['IP_ADDRESS', '::ffff:10.0.0.1'],
  ['CLOUD_ACCESS_KEY', 'key=AKIAIOSFODNN7EXAMPLE;'],
  ['CLOUD_ACCESS_KEY', 'ASIAY34FZKBOKMUTVV7A'],
  ['CLOUD_ACCESS_KEY', 'AIzaSyA-1234567890abcdefghijklmnopqrstu'],
  ['CLOUD_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key'],
];
const negatives: Array<[string, string, string?]> = [
  ['EMAIL', 'user@localhost'],
  ['EMAIL', '@example.com'],
  ['PHONE', 'order 1234567890'],
  ['PHONE', '2026-01-13T12:01:01.900Z'],
  ['PAYMENT_CARD', '4111 1111 1111 1112'], // Luhn fails
  ['PAYMENT_CARD', '9111111111111111'], // no issuer
  ['PAYMENT_CARD', 'sku4111111111111111'], // glued to an identifier
  ['US_SSN', '000-12-3456'],
  ['US_SSN', '666-12-3456'],
  ['US_SSN', '912-12-3456'],
  ['US_SSN', '123-00-4567'],
  ['US_SSN', '123-45-0000'],
  ['US_SSN', '123456789'], // bare 9 digits without an SSN key
  ['IBAN', 'DE89 3704 0044 0532 0130 01'], // mod-97 fails
  ['IBAN', 'XX89370400440532013000'], // unknown country
  ['IP_ADDRESS', '999.1.1.1'],
  ['IP_ADDRESS', '12:01:02.120'],
  ['IP_ADDRESS', 'std::vector'],
  ['CLOUD_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPL'],
  ['CLOUD_ACCESS_KEY', 'XAKIAIOSFODNN7EXAMPLE'],
  ['CLOUD_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'description'],
];
for (const [cls, s, key] of positives)
  test(`PII detect ${cls}: ${s}`, () => assert.ok(classes(s, key).includes(cls), classes(s, key).join()));
for (const [cls, s, key] of negatives)
  test(`PII no ${cls}: ${s}`, () => assert.ok(!classes(s, key).includes(cls), classes(s, key).join()));

test('PII: policies ALLOW / DETECT / BLOCK against declared allowances', () => {
  const o = {
    ...order(),
    customer: { email: 'a@b.io', phone: '+1 555 123 4567' },
    notes: 'call me on +1 555 123 4567',
    items: [{ sku: 's', gift_note: 'x@y.org' }],
  };
  const allowed = new Map([
    ['customer.email', new Set(['EMAIL'])],
    ['customer.phone', new Set(['PHONE'])],
  ]);
  assert.deepEqual(evaluate(compile('ALLOW', allowed), o), { codes: null, findings: null });
  const detect = evaluate(compile('DETECT', allowed), o);
  assert.equal(detect.codes, null);
  assert.deepEqual(detect.findings, [
    { path: 'customer.email', class: 'EMAIL' },
    { path: 'customer.phone', class: 'PHONE' },
    { path: 'items[0].gift_note', class: 'EMAIL' },
    { path: 'notes', class: 'PHONE' },
  ]);
  assert.deepEqual(evaluate(compile('BLOCK', allowed), o).codes, [
    'UNDECLARED_PII:items[0].gift_note',
    'UNDECLARED_PII:notes',
  ]);
  // Declared per element with items[].gift_note
  const withItems = new Map([...allowed, ['items[].gift_note', new Set(['EMAIL'])]]);
  assert.deepEqual(evaluate(compile('BLOCK', withItems), o).codes, ['UNDECLARED_PII:notes']);
});

test('PII BLOCK: allowances match whole paths, per class, through arrays; dotted or bracketed keys by text', () => {
  const email = 'ada@example.com';
  const phone = '+44 20 7946 0958';
  const o = JSON.parse(
    JSON.stringify({
      customer: { email, contact: { email } },
      other: { customer: { email } },
      matrix: [[email], [phone]],
      tags: [email],
      'a.b': email,
      'c[0]': email,
      who: { email: phone },
    }),
  );
  const allowed = new Map([
    ['customer.email', new Set(['EMAIL'])],
    ['matrix[][]', new Set(['EMAIL'])],
    ['tags[]', new Set(['EMAIL'])],
    ['a.b', new Set(['EMAIL'])],
    ['c[]', new Set(['EMAIL'])],
    ['who.email', new Set(['EMAIL'])],
  ]);
  assert.deepEqual(evaluate(compile('BLOCK', allowed), o, true).codes, [
    'UNDECLARED_PII:customer.contact.email', // deeper than the declared path
    'UNDECLARED_PII:other.customer.email', // the declared path's suffix only
    'UNDECLARED_PII:matrix[1][0]', // PHONE where only EMAIL is declared
    'UNDECLARED_PII:who.email', // same
  ]);
  // The walk over decoded (non-JSON) values decides the same.
  assert.deepEqual(
    evaluate(compile('BLOCK', allowed), o, false).codes,
    evaluate(compile('BLOCK', allowed), o, true).codes,
  );
});

test('PII: evidence names paths and classes, never values', () => {
  const snap = snapshot({ policies: [policy({ pii_policy: 'BLOCK' })] });
  const { event, evidence } = run(snap, rec({ ...order(), note: 'card 4111 1111 1111 1111' }));
  assert.deepEqual(event.validation.failed_gates, ['PII']);
  assert.deepEqual(event.validation.reason_codes, ['UNDECLARED_PII:note']);
  assert.ok(event.pii_findings.some((f: any) => f.path === 'note' && f.class === 'PAYMENT_CARD'));
  assert.ok(!evidence.includes('4111') && !evidence.includes('ada@example.com'));
  assert.equal(CONTRACT.fields.find((f) => f.path === 'customer.email')?.pii?.[0], 'EMAIL');
});

test('PII: 100 KB regex-bait strings finish in milliseconds for every detector', () => {
  const bait: Record<string, string> = {
    EMAIL: 'a@'.repeat(50_000),
    EMAIL2: `${'a'.repeat(100_000)}@`,
    EMAIL3: `a@${'a.'.repeat(50_000)}`,
    PHONE: '+1 '.repeat(33_000),
    PHONE2: '(555) '.repeat(17_000),
    PAYMENT_CARD: '4111 '.repeat(20_000),
    PAYMENT_CARD2: '4'.repeat(100_000),
    US_SSN: '123-45-'.repeat(15_000),
    IBAN: 'DE89 '.repeat(20_000),
    IBAN2: 'DE89'.repeat(25_000),
    IP_ADDRESS: '1.'.repeat(50_000),
    IP_ADDRESS2: 'a:'.repeat(50_000),
    IP_ADDRESS3: ':'.repeat(100_000),
    CLOUD_ACCESS_KEY: 'AKIA'.repeat(25_000),
    CLOUD_ACCESS_KEY2: `AIza${'A'.repeat(100_000)}`,
    MIXED: '0(+.- '.repeat(17_000),
  };
  for (const [name, s] of Object.entries(bait)) {
    const t0 = performance.now();
    D.detect(s, D.CTX_PHONE | D.CTX_SSN | D.CTX_SECRET);
    const ms = performance.now() - t0;
    // Linear scanning of 100 KB takes ~1 ms; catastrophic backtracking takes seconds to
    // forever. The wide margin keeps this a correctness check, not a timing one.
    assert.ok(ms < 500, `${name}: ${ms.toFixed(1)} ms`);
  }
  assert.ok(NAMES.EMAIL);
});

test('PII: interned finding paths keep each policy its own allowances, and evidence follows changing findings', () => {
  const o = { customer: { email: 'ada@example.com' }, note: 'ada@example.com' };
  const declared = compile('BLOCK', new Map([['customer.email', new Set(['EMAIL'])]]));
  const none = compile('BLOCK', new Map());
  // The same paths alternate between policies: the memoised allowance must follow the policy.
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(evaluate(declared, o, true).codes, ['UNDECLARED_PII:note']);
    assert.deepEqual(evaluate(none, o, true).codes, ['UNDECLARED_PII:customer.email', 'UNDECLARED_PII:note']);
  }
  // One shared finding per (path, class): the evidence serialiser may reuse a list's text.
  assert.equal(evaluate(declared, o, true).findings?.[0], evaluate(none, o, true).findings?.[0]);
  // Evidence of records whose findings differ, in turn, lists each record's own findings.
  const snap = snapshot({ policies: [policy({ pii_policy: 'DETECT' })] });
  const paths = (v: object) =>
    run(snap, rec(v)).event.pii_findings.map((f: { path: string; class: string }) => `${f.path}:${f.class}`);
  const a = { ...order(), note: 'card 4111 1111 1111 1111' };
  const b = { ...order(), note: 'mail ada@example.com' };
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(paths(a), ['customer.email:EMAIL', 'customer.phone:PHONE', 'note:PAYMENT_CARD']);
    assert.deepEqual(paths(b), ['customer.email:EMAIL', 'customer.phone:PHONE', 'note:EMAIL']);
    assert.deepEqual(paths(order()), ['customer.email:EMAIL', 'customer.phone:PHONE']);
  }
});

test('PII: payloads with ever-new keys keep correct paths past the interned-path bound', () => {
  const c = compile('BLOCK', new Map([['k0', new Set(['EMAIL'])]]));
  let last: ReturnType<typeof evaluate> | null = null;
  // 60 records x 200 new keys: past the 10,000 interned paths, so the trie starts over mid-run.
  for (let r = 0; r < 60; r++) {
    const o: Record<string, string> = { k0: 'ada@example.com' };
    for (let k = 0; k < 200; k++) o[`r${r}k${k}`] = 'ada@example.com';
    last = evaluate(c, o, true);
    assert.equal(last.findings?.length, 201);
    assert.equal(last.codes?.length, 33); // 32 codes, then TOO_MANY_ERRORS
  }
  assert.deepEqual(last?.findings?.slice(0, 2), [
    { path: 'k0', class: 'EMAIL' },
    { path: 'r59k0', class: 'EMAIL' },
  ]);
  assert.equal(last?.codes?.[0], 'UNDECLARED_PII:r59k0');
});
