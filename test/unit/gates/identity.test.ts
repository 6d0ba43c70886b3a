import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, compileKeys, evaluate, verifyPrincipal } from '../../../src/workers/gates/identity.js';
import { headers, order, policy, rec, run, signedPrincipal, snapshot } from './fixtures.js';

const owner = {
  owner_producer_id: 'orders-svc',
  trusted_principal_header: 'x-sf-principal',
  claim_header: 'producer-id',
};
const cases: Array<{
  name: string;
  pi: Record<string, string> | undefined;
  h: Record<string, string>;
  id: string | null;
  conf: string;
  codes: string[];
}> = [
  {
    name: 'verified principal header is HIGH',
    pi: owner,
    h: { 'x-sf-principal': signedPrincipal('orders-svc') },
    id: 'orders-svc',
    conf: 'HIGH',
    codes: [],
  },
  {
    name: 'bad signature falls back to MEDIUM and fails',
    pi: owner,
    h: { 'x-sf-principal': signedPrincipal('orders-svc').replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
    id: 'orders-svc',
    conf: 'MEDIUM',
    codes: ['INVALID_PRINCIPAL_SIGNATURE'],
  },
  {
    name: 'unknown key id',
    pi: owner,
    h: { 'x-sf-principal': signedPrincipal('orders-svc', 'k9') },
    id: 'orders-svc',
    conf: 'MEDIUM',
    codes: ['UNKNOWN_IDENTITY_KEY'],
  },
  {
    name: 'malformed header',
    pi: owner,
    h: { 'x-sf-principal': 'orders-svc' },
    id: 'orders-svc',
    conf: 'MEDIUM',
    codes: ['MALFORMED_PRINCIPAL_HEADER'],
  },
  { name: 'owner map is MEDIUM', pi: owner, h: {}, id: 'orders-svc', conf: 'MEDIUM', codes: [] },
  {
    name: 'LOW claim equal to owner',
    pi: owner,
    h: { 'producer-id': 'orders-svc' },
    id: 'orders-svc',
    conf: 'MEDIUM',
    codes: [],
  },
  {
    name: 'LOW claim differs from owner',
    pi: owner,
    h: { 'producer-id': 'evil-svc' },
    id: 'orders-svc',
    conf: 'MEDIUM',
    codes: ['PRODUCER_MISMATCH'],
  },
  {
    name: 'LOW claim from a payload field',
    pi: { claim_field: 'meta.producer' },
    h: {},
    id: 'checkout-svc',
    conf: 'LOW',
    codes: [],
  },
  {
    name: 'LOW claim from a header, no owner',
    pi: { claim_header: 'producer-id' },
    h: { 'producer-id': 'x-svc' },
    id: 'x-svc',
    conf: 'LOW',
    codes: [],
  },
  { name: 'nothing known is NONE', pi: undefined, h: {}, id: null, conf: 'NONE', codes: [] },
];

for (const c of cases) {
  test(`IDENTITY: ${c.name}`, () => {
    const snap = snapshot({ policies: [policy({ producer_identity: c.pi })] });
    const { event } = run(snap, rec({ ...order(), meta: { producer: 'checkout-svc' } }, headers(c.h)));
    assert.equal(event.producer.producer_id, c.id);
    assert.equal(event.producer.identity_confidence, c.conf);
    assert.deepEqual(event.validation.failed_gates.includes('IDENTITY') ? event.validation.reason_codes : [], c.codes);
  });
}

test('IDENTITY: principals may contain dots; utf-8 secrets work', () => {
  const keys = compileKeys({ kid: 'not-hex secret' });
  const v = signedPrincipal('User:CN=orders.svc', 'kid', Buffer.from('not-hex secret').toString('hex'));
  assert.equal(verifyPrincipal(v, keys), 'User:CN=orders.svc');
});

test('IDENTITY: consecutive records with different principal headers of the same length each get their own verdict', () => {
  const c = compile(owner, compileKeys(snapshot().identity_keys));
  const good = signedPrincipal('orders-svc');
  // Same length, one hex digit changed: must not reuse the previous record's verdict.
  const forged = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
  const other = signedPrincipal('orders-svx');
  const seq = [good, good, forged, forged, good, other, good, '', good];
  for (const h of seq) {
    const want = verifyPrincipal(h, compileKeys(snapshot().identity_keys));
    const got = evaluate(c, rec(order(), headers({ 'x-sf-principal': h })), order());
    if (want.startsWith('!')) {
      assert.equal(got.confidence, 'MEDIUM', h);
      assert.deepEqual(got.codes?.[0], want.slice(1), h);
    } else {
      assert.equal(got.confidence, 'HIGH', h);
      assert.equal(got.producerId, want, h);
    }
  }
});
