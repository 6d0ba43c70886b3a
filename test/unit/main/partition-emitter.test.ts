import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AckSink, Outgoing } from '../../../src/main/evidence-producer.js';
import { OffsetTracker } from '../../../src/main/offsets.js';
import { PartitionEmitter } from '../../../src/main/partition-emitter.js';

const sink: AckSink = { ack() {} };
const msg = (s: string): Outgoing => ({ topic: 'evidence', key: null, value: Buffer.from(s) });

function setup() {
  const sent: string[] = [];
  const emitter = new PartitionEmitter({ send: (m) => sent.push(m.value.toString()) });
  const tracker = new OffsetTracker();
  tracker.assign('raw', 0);
  tracker.assign('raw', 1);
  const p0 = tracker.owned('raw', 0);
  const p1 = tracker.owned('raw', 1);
  assert.ok(p0 && p1);
  return { sent, emitter, p0, p1 };
}

test('results that arrive out of order leave in consume order, per partition', () => {
  const { sent, emitter, p0, p1 } = setup();
  const a = emitter.open(p0, 2); // batch 1
  const b = emitter.open(p1, 1); // batch 1
  const c = emitter.open(p0, 2); // batch 2
  // Batch 2 completes first: partition 0 waits for batch 1, nothing else is blocked.
  emitter.put(c, msg('0/2'), sink, 0, undefined, false);
  emitter.put(c, msg('0/3'), sink, 1, undefined, false);
  assert.deepEqual(sent, []);
  emitter.put(a, msg('0/0'), sink, 0, undefined, false);
  emitter.put(b, msg('1/0'), sink, 1, undefined, false);
  emitter.put(a, msg('0/1'), sink, 2, undefined, false);
  assert.deepEqual(sent, ['0/0', '1/0', '0/1', '0/2', '0/3']);
});

test('a held record and everything after it in its partition wait for release; other partitions do not', () => {
  const { sent, emitter, p0, p1 } = setup();
  const a = emitter.open(p0, 3);
  const b = emitter.open(p1, 1);
  emitter.put(a, msg('0/0'), sink, 0, undefined, false);
  const held = emitter.put(a, msg('0/1 quarantined'), sink, 1, undefined, true);
  emitter.put(a, msg('0/2'), sink, 2, msg('0/2 republished'), false);
  emitter.put(b, msg('1/0'), sink, 3, undefined, false);
  assert.deepEqual(sent, ['0/0', '1/0']);
  emitter.release(a, held);
  assert.deepEqual(sent, ['0/0', '1/0', '0/1 quarantined', '0/2', '0/2 republished']);
});

test('releases in any order still send in order', () => {
  const { sent, emitter, p0 } = setup();
  const a = emitter.open(p0, 3);
  const j0 = emitter.put(a, msg('0'), sink, 0, undefined, true);
  const j1 = emitter.put(a, msg('1'), sink, 1, undefined, true);
  const j2 = emitter.put(a, msg('2'), sink, 2, undefined, true);
  emitter.release(a, j2);
  emitter.release(a, j1);
  assert.deepEqual(sent, []);
  emitter.release(a, j0);
  assert.deepEqual(sent, ['0', '1', '2']);
});

test('a new assignment of the same partition starts a fresh queue', () => {
  const sent: string[] = [];
  const emitter = new PartitionEmitter({ send: (m) => sent.push(m.value.toString()) });
  const tracker = new OffsetTracker();
  tracker.assign('raw', 0);
  const old = tracker.owned('raw', 0);
  assert.ok(old);
  const stale = emitter.open(old, 1); // never completes before the revoke
  tracker.revoke('raw', 0);
  tracker.assign('raw', 0);
  const fresh = tracker.owned('raw', 0);
  assert.ok(fresh);
  emitter.put(emitter.open(fresh, 1), msg('new owner'), sink, 0, undefined, false);
  assert.deepEqual(sent, ['new owner']);
  emitter.put(stale, msg('old'), sink, 0, undefined, false);
  assert.deepEqual(sent, ['new owner', 'old']);
});
