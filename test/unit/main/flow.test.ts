import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowControl } from '../../../src/main/flow.js';

function setup(pauseAfterMs = 1000) {
  const flight = { inFlight: 0, inFlightBytes: 0 };
  const calls: string[] = [];
  const flow = new FlowControl({ maxRecords: 100, maxBytes: 1000, pauseAfterMs }, flight, {
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  });
  return { flight, calls, flow };
}

describe('FlowControl', () => {
  it('holds (no pause, so the prefetch is kept) above either bound and goes on below 3/4 of both', () => {
    const { flight, calls, flow } = setup();
    assert.equal(flow.next(0), 'consume');
    flight.inFlightBytes = 1000;
    assert.equal(flow.next(1), 'hold', 'the byte bound holds');
    flight.inFlightBytes = 800;
    assert.equal(flow.next(2), 'hold', 'hysteresis: not yet below 3/4');
    flight.inFlightBytes = 750;
    assert.equal(flow.next(3), 'consume');
    flight.inFlight = 100;
    assert.equal(flow.next(4), 'hold', 'the record bound holds too');
    flight.inFlight = 10;
    assert.equal(flow.next(5), 'consume');
    assert.deepEqual(calls, [], 'short holds never pause the partitions');
  });

  it('pauses and polls after a long hold, and resumes once there is room', () => {
    const { flight, calls, flow } = setup(1000);
    flight.inFlight = 100;
    assert.equal(flow.next(0), 'hold');
    assert.equal(flow.next(999), 'hold');
    assert.equal(flow.next(1000), 'poll');
    assert.equal(flow.paused, true);
    assert.equal(flow.next(5000), 'poll');
    flight.inFlight = 0;
    assert.equal(flow.next(5001), 'consume');
    assert.deepEqual(calls, ['pause', 'resume']);
  });

  it('wakes a holding loop as soon as completions make room', async () => {
    const { flight, flow } = setup();
    flight.inFlight = 100;
    flow.next(0);
    const t0 = Date.now();
    const waited = flow.wait(5000);
    flow.progress(); // still full: stays asleep
    flight.inFlight = 50;
    flow.progress();
    await waited;
    assert.ok(Date.now() - t0 < 1000, 'woken by progress, not by the timer');
  });
});
