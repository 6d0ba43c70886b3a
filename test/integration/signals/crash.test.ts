/**
 * Issue 15: SIGKILL and restart lose nothing and double-count nothing: stage 1's partials and
 * offsets are one transaction, stage 2 rebuilds its windows from the partials topic, and the
 * dedup state is rebuilt from the evidence before the committed offset (so a redelivery of
 * records counted before the crash is still recognised).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, signalsRig, until } from './helpers.js';

test('SIGKILL and restart lose nothing and double-count nothing', { timeout: 240_000 }, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset();
  const raw = `raw.${urn.split(':').pop()}`;
  const first = burst(urn, raw, 40, { failEvery: 5 });
  let engine = await rig.engine('signals-1');
  await rig.produce(first);
  await until('the first records counted', async () => {
    const h = await rig.health(urn);
    return h.compliance.pass + h.compliance.fail === 40 && h;
  });
  await engine.stop('SIGKILL');

  // While it is down: new records, and a redelivery of records counted before the crash.
  await rig.produce([...burst(urn, raw, 20, { start: 40, failEvery: 5 }), ...first.slice(20)]);
  engine = await rig.engine('signals-2');
  const h = await until('every record counted once', async () => {
    const x = await rig.health(urn);
    return x.compliance.pass + x.compliance.fail >= 60 && x;
  });
  await new Promise((r) => setTimeout(r, 1500));
  const again = await rig.health(urn);
  assert.deepEqual({ pass: h.compliance.pass, fail: h.compliance.fail }, { pass: 48, fail: 12 });
  assert.deepEqual({ pass: again.compliance.pass, fail: again.compliance.fail }, { pass: 48, fail: 12 });
});
