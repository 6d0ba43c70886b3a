/**
 * Issue 15, identity and PII as incidents: a PRODUCER_MISMATCH and an UNDECLARED_PII record on a
 * TIER_1 dataset (whose defaults tolerate none) open one IDENTITY and one PII incident, each with
 * its reason code and an evidence link filtered on it, while compliance stays within its SLO.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvidenceEvent } from '../../../src/models/index.js';
import { burst, evidence, signalsRig, until } from './helpers.js';

function failing(e: EvidenceEvent, code: string, confidence: 'LOW' | 'MEDIUM'): EvidenceEvent {
  return {
    ...e,
    producer: { producer_id: 'impostor-svc', identity_confidence: confidence },
    validation: {
      result: 'FAIL',
      failed_gates: [code === 'PRODUCER_MISMATCH' ? 'IDENTITY' : 'PII'],
      reason_codes: [code],
    },
  };
}

test('a producer mismatch and undeclared PII open an IDENTITY and a PII incident', { timeout: 240_000 }, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset();
  const raw = `raw.${urn.split(':').pop()}`;
  await rig.engine();
  const at = (offset: number) => evidence(urn, { rawTopic: raw, partition: 0, offset });
  await rig.produce([
    ...burst(urn, raw, 40, { partitions: 1 }),
    failing(at(40), 'PRODUCER_MISMATCH', 'LOW'),
    failing(at(41), 'UNDECLARED_PII:notes', 'MEDIUM'),
  ]);

  const open = async (kind: string) =>
    (await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}&state=open&kind=${kind}`))[0];
  const identity = await until('an IDENTITY incident', () => open('IDENTITY'));
  const pii = await until('a PII incident', () => open('PII'));

  assert.equal(identity.kind, 'IDENTITY');
  assert.deepEqual(identity.top_reason_codes, [{ code: 'PRODUCER_MISMATCH', count: 1 }]);
  assert.equal(identity.figures.producer_mismatch, 1);
  assert.equal(identity.figures.producer_mismatch_max, 0, 'the TIER_1 default');
  assert.match(identity.summary, /1 PRODUCER_MISMATCH/);
  assert.equal(new URL(identity.links.evidence, rig.cp.url).searchParams.get('reason_code'), 'PRODUCER_MISMATCH');

  assert.equal(pii.kind, 'PII');
  assert.deepEqual(pii.top_reason_codes, [{ code: 'UNDECLARED_PII', count: 1 }]);
  assert.equal(pii.figures.undeclared, 1);
  assert.equal(pii.figures.undeclared_max, 0);
  assert.equal(new URL(pii.links.evidence, rig.cp.url).searchParams.get('reason_code'), 'UNDECLARED_PII');

  const h = await rig.health(urn);
  assert.equal(h.identity.breached, true);
  assert.equal(h.identity.producer_mismatch, 1);
  assert.equal(h.identity.low_confidence_share, 0.0238, '1 LOW record of 42: below the 5% maximum');
  assert.equal(h.pii.breached, true);
  assert.equal(h.pii.undeclared, 1);
  assert.equal(h.compliance.breached, false, '40 of 42 PASS is above the 0.8 SLO');
  const all = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}`);
  assert.deepEqual(all.map((i) => i.kind).sort(), ['IDENTITY', 'PII'], 'no other incident');
});
