/**
 * Issue 15: two engine processes (one group: evidence partitions and datasets split between them)
 * give exactly the figures one gives; when one stops, the other takes over and the figures hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, labelled, metric, signalsRig, until } from './helpers.js';

test('two engine processes give the same figures as one', { timeout: 240_000 }, async (t) => {
  const rig = await signalsRig(t, 4);
  const urns = [await rig.dataset(), await rig.dataset(), await rig.dataset()];
  const a = await rig.engine('signals-a');
  const b = await rig.engine('signals-b');
  // Both members hold evidence partitions before anything is produced (else one drains it all).
  await until('both engines assigned', async () => {
    const held = await Promise.all([a, b].map((s) => labelled(s, 'signals_partitions_assigned{stage="fold"}')));
    return held[0] > 0 && held[1] > 0 && held[0] + held[1] === 4;
  });
  // Each dataset: 6 raw partitions (18 evidence keys over 4 partitions), 60 records, every 4th fails.
  const expected = { pass: 45, fail: 15 };
  for (const urn of urns)
    await rig.produce(burst(urn, `raw.${urn.split(':').pop()}`, 60, { failEvery: 4, partitions: 6 }));
  for (const urn of urns) {
    const h = await until(`figures of ${urn}`, async () => {
      const x = await rig.health(urn);
      return x.compliance.pass + x.compliance.fail >= 60 && x;
    });
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
    const h = await until(`figures of ${urn} after the handover`, async () => {
      const x = await rig.health(urn);
      return x.compliance.pass + x.compliance.fail >= 72 && x;
    });
    assert.deepEqual({ pass: h.compliance.pass, fail: h.compliance.fail }, { pass: 54, fail: 18 });
  }
});
