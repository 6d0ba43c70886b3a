/** Issue 15: a dataset that goes silent opens a FRESHNESS incident; health says how old its newest record is. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, signalsRig, until } from './helpers.js';

test('a silent dataset opens a FRESHNESS incident', { timeout: 180_000 }, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset({ freshness_slo_sec: 3 });
  const never = await rig.dataset({ freshness_slo_sec: 3 });
  await rig.engine();
  await rig.produce(burst(urn, `raw.${urn.split(':').pop()}`, 5));
  const seen = await until('the records counted', async () => {
    const h = await rig.health(urn);
    return h.compliance.pass === 5 && h;
  });
  assert.ok(seen.freshness.last_seen_at);

  const [inc] = await until('a FRESHNESS incident', async () => {
    const items = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}&kind=FRESHNESS`);
    return items.length > 0 && items;
  });
  assert.equal(inc.state, 'open');
  assert.equal(inc.figures.slo_sec, 3);
  assert.ok(Number(inc.figures.age_sec) > 3, `age ${inc.figures.age_sec} is past the SLO`);
  assert.equal(inc.figures.last_seen_at, seen.freshness.last_seen_at);
  const h = await rig.health(urn);
  assert.equal(h.freshness.breached, true);
  assert.ok((h.freshness.age_sec ?? 0) > 3);

  // A dataset that never sent anything is silent too (age counted from when the engine began watching it).
  const [none] = await until('a FRESHNESS incident for the never-seen dataset', async () => {
    const items = await rig.incidents(`dataset_urn=${encodeURIComponent(never)}&kind=FRESHNESS`);
    return items.length > 0 && items;
  });
  assert.equal(none.figures.last_seen_at, null);
});
