/**
 * Issue 15: two engine processes (one group: evidence partitions and datasets split between them)
 * give exactly the figures one gives; when one stops, the other takes over and the figures hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, engineTrail, labelled, metric, signalsRig, until } from './helpers.js';

test('two engine processes give the same figures as one', { timeout: 480_000 }, async (t) => {
  const rig = await signalsRig(t, 4);
  const urns = [await rig.dataset(), await rig.dataset(), await rig.dataset()];
  const a = await rig.engine('signals-a');
  const b = await rig.engine('signals-b');
  // Both members hold evidence partitions (stage 1) and partials partitions (stage 2) before
  // anything is produced: else one drains it all, or a late rebalance moves datasets mid-test.
  const held = async () => {
    const stages = ['fold', 'merge'].map((g) => `signals_partitions_assigned{stage="${g}"}`);
    return Promise.all([a, b].flatMap((s) => stages.map((x) => labelled(s, x))));
  };
  let assignment: number[] = [];
  let seen = '';
  const explain = () =>
    `assigned (a.fold, a.merge, b.fold, b.merge) = ${assignment}; seen: ${seen}\n${engineTrail(a, b)}`;
  await until(
    'both engines assigned',
    async () => {
      assignment = await held();
      const [af, am, bf, bm] = assignment;
      return af > 0 && bf > 0 && af + bf === 4 && am > 0 && bm > 0 && am + bm === 3;
    },
    120_000,
    explain,
  );
  // Each dataset: 6 raw partitions (18 evidence keys over 4 partitions), 60 records, every 4th fails.
  const expected = { pass: 45, fail: 15 };
  for (const urn of urns)
    await rig.produce(burst(urn, `raw.${urn.split(':').pop()}`, 60, { failEvery: 4, partitions: 6 }));
  for (const urn of urns) {
    const h = await until(
      `figures of ${urn}`,
      async () => {
        const x = await rig.health(urn);
        assignment = await held();
        seen = `pass ${x.compliance.pass}, fail ${x.compliance.fail}, as_of ${x.as_of}, stale ${x.stale_reason}`;
        return x.compliance.pass + x.compliance.fail >= 60 && x;
      },
      120_000,
      explain,
    );
    assert.deepEqual({ pass: h.compliance.pass, fail: h.compliance.fail }, expected);
  }
  const folded = [await metric(a, 'signals_evidence_folded_total'), await metric(b, 'signals_evidence_folded_total')];
  assert.equal(folded[0] + folded[1], 180, `folded ${folded}`);
  assert.ok(folded[0] > 0 && folded[1] > 0, `both processes folded evidence: ${folded}`);

  // One process left: it takes over every partition, rebuilds, and the figures hold (plus new records).
  assert.equal(await b.stop('SIGTERM'), 0);
  for (const urn of urns)
    await rig.produce(burst(urn, `raw.${urn.split(':').pop()}`, 12, { start: 60, failEvery: 4, partitions: 6 }));
  for (const urn of urns) {
    const h = await until(
      `figures of ${urn} after the handover`,
      async () => {
        const x = await rig.health(urn);
        seen = `pass ${x.compliance.pass}, fail ${x.compliance.fail}, as_of ${x.as_of}, stale ${x.stale_reason}`;
        return x.compliance.pass + x.compliance.fail >= 72 && x;
      },
      120_000,
      () => `seen: ${seen}\n${engineTrail(a)}`,
    );
    assert.deepEqual({ pass: h.compliance.pass, fail: h.compliance.fail }, { pass: 54, fail: 18 });
  }
});
