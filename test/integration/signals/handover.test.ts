/**
 * Issue 15: a breach clock survives a handover. Engine A sees a compliance breach start and
 * publishes its clock in the snapshot (breached_since); it stops before SF_SIGNALS_OPEN_AFTER_SEC
 * passes. Engine B, the new owner, resumes that clock: the incident it opens began when A saw the
 * breach begin (without the clock, B would date it from its own assignment).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, signalsRig, until } from './helpers.js';

const SLOW_OPEN = { SF_SIGNALS_OPEN_AFTER_SEC: '40' };

test('a pending breach keeps its start across a handover', { timeout: 240_000 }, async (t) => {
  const rig = await signalsRig(t);
  const urn = await rig.dataset();
  const raw = `raw.${urn.split(':').pop()}`;
  const a = await rig.engine('signals-a', SLOW_OPEN);
  await rig.produce(burst(urn, raw, 40, { failEvery: 2 }));
  const h = await until('the breach clock in the snapshot', async () => {
    const x = await rig.health(urn);
    return x.breached_since?.COMPLIANCE !== undefined && x;
  });
  const clock = h.breached_since!.COMPLIANCE;
  assert.equal(h.open_incidents, 0, 'A stops before the incident opens');
  assert.equal(await a.stop('SIGTERM'), 0);

  await rig.engine('signals-b', SLOW_OPEN);
  const [inc] = await until(
    'the incident opened by B',
    async () => {
      const items = await rig.incidents(`dataset_urn=${encodeURIComponent(urn)}&state=open`);
      return items.length > 0 && items;
    },
    120_000,
  );
  assert.equal(inc.kind, 'COMPLIANCE');
  assert.equal(inc.first_seen, clock, 'the breach began when A saw it begin');
  assert.ok(Date.parse(inc.opened_at) - Date.parse(clock) >= 40_000, 'opened no sooner than OPEN_AFTER');
});
