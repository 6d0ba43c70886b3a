import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Folder } from '../../../src/signals/fold.js';
import { reasonBase } from '../../../src/signals/partial.js';
import { ev, T0 } from './fixtures.js';

test('folds evidence into one partial per (dataset, bucket) with additive counts', () => {
  const f = new Folder(60_000);
  f.add(ev({ offset: 0 }), 3, 100);
  f.add(ev({ offset: 1, fail: true, producer: 'legacy' }), 3, 101);
  f.add(ev({ offset: 2, at: T0 + 61_000 }), 3, 102);
  f.add(ev({ offset: 3, dataset: 'urn:dp:t:b', low: true }), 3, 103);
  const { partials, commit } = f.drain(T0 + 70_000);
  assert.deepEqual(commit, [{ partition: 3, offset: 104 }]);
  assert.equal(partials.length, 3);
  const a0 = partials.find((p) => p.dataset_urn === 'urn:dp:t:a' && p.bucket === T0)!;
  assert.equal(a0.pass, 1);
  assert.equal(a0.fail, 1);
  assert.deepEqual(a0.fail_by_gate, { CONTRACT: 1 });
  assert.deepEqual(a0.fail_by_reason, { MISSING_FIELD: 1 }, 'a base counts once per record');
  assert.deepEqual(a0.fail_by_producer, { legacy: 1 });
  assert.deepEqual(a0.samples, ['evd-raw.t-0-1']);
  assert.deepEqual(a0.source, { partition: 3, from: 100, to: 103 });
  assert.equal(a0.id, JSON.stringify(['urn:dp:t:a', T0, 3, 100, 103]));
  assert.equal(partials.find((p) => p.dataset_urn === 'urn:dp:t:b')!.low_confidence, 1);
  assert.equal(f.drain(T0).partials.length, 0, 'drain empties');
});

test('a repeat of a raw record already counted is dropped; unresolved evidence is not counted', () => {
  const f = new Folder(60_000);
  for (let o = 0; o < 5; o++) f.add(ev({ offset: o }), 0, o);
  f.add(ev({ offset: 3 }), 0, 5); // enforcer redelivery
  f.add(ev({ offset: 4, fail: true }), 0, 6); // re-evaluated under a new policy version: same raw record
  f.add(ev({ offset: 3, partition: 1 }), 0, 7); // another raw partition: not a repeat
  f.add(ev({ offset: 9, dataset: null }), 0, 8);
  const { partials } = f.drain(T0);
  assert.equal(partials[0].pass, 6);
  assert.equal(partials[0].fail, 0);
  assert.deepEqual(f.stats, { folded: 6, duplicates: 2, unresolved: 1 });
  // The dedup state outlives a drain (a later batch), not a revocation.
  f.add(ev({ offset: 2 }), 0, 9);
  assert.equal(f.stats.duplicates, 3);
  f.forget(0);
  f.add(ev({ offset: 2 }), 0, 10);
  assert.equal(f.stats.folded, 7);
});

test('reason-code bases', () => {
  assert.equal(reasonBase('MISSING_FIELD:customer.address.zip'), 'MISSING_FIELD');
  assert.equal(reasonBase('PRODUCER_MISMATCH'), 'PRODUCER_MISMATCH');
});
