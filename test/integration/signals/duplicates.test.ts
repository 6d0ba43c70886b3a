/**
 * Issue 15: repeated evidence (an enforcer redelivery: same raw record, same evidence id, later on
 * the same evidence partition) does not change counts, nor does junk on the topic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, metric, signalsRig, until } from './helpers.js';

test('duplicated evidence does not change counts', { timeout: 180_000 }, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset();
  const raw = `raw.${urn.split(':').pop()}`;
  const engine = await rig.engine();
  const events = burst(urn, raw, 30, { failEvery: 3, partitions: 3 });
  await rig.produce(events);
  await rig.produce(events.slice(10)); // redelivered tail
  await rig.produce(events); // and everything once more
  await rig.produce(burst(urn, raw, 6, { start: 30, partitions: 3 })); // then new records
  const h = await until('every record counted', async () => {
    const x = await rig.health(urn);
    return (
      x.compliance.pass + x.compliance.fail >= 36 &&
      (await metric(engine, 'signals_evidence_duplicates_total')) >= 50 &&
      x
    );
  });
  // Give a second evaluation a chance to (wrongly) add more.
  await new Promise((r) => setTimeout(r, 1500));
  const again = await rig.health(urn);
  assert.equal(h.compliance.fail, 10);
  assert.equal(again.compliance.pass, 26);
  assert.equal(again.compliance.fail, 10);
  assert.equal(await metric(engine, 'signals_evidence_duplicates_total'), 50);
  assert.equal(await metric(engine, 'signals_evidence_folded_total'), 36);
});
