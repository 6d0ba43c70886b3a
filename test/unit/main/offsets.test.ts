import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetTracker } from '../../../src/main/offsets.js';

describe('OffsetTracker', () => {
  it('commits only the contiguous done prefix, with offset gaps', () => {
    const t = new OffsetTracker();
    t.assign('raw', 0);
    const p = t.owned('raw', 0)!;
    const a = t.open(p, 2, 11); // offsets 10, 11
    const b = t.open(p, 2, 15); // offsets 14, 15 (gap: 12, 13 were transaction markers)
    const c = t.open(p, 1, 16);
    assert.equal(t.inFlight, 5);
    t.complete(b, 2);
    t.complete(c);
    assert.deepEqual(t.takeCommits(), [], 'nothing commits while the first segment is pending');
    t.complete(a);
    assert.deepEqual(t.takeCommits(), []);
    t.complete(a);
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 0, offset: 17 }]);
    assert.deepEqual(t.takeCommits(), [], 'a commit point is reported once');
    assert.equal(t.inFlight, 0);
  });

  it('never commits for a revoked partition, even when its records complete later', () => {
    const t = new OffsetTracker();
    t.assign('raw', 1);
    t.assign('raw', 2);
    const s1 = t.open(t.owned('raw', 1)!, 3, 102);
    const s2 = t.open(t.owned('raw', 2)!, 1, 7);
    t.revoke('raw', 1);
    assert.equal(t.inFlight, 1);
    t.complete(s1, 3);
    t.complete(s2);
    assert.deepEqual(t.takeCommits(), [{ topic: 'raw', partition: 2, offset: 8 }]);
    assert.equal(t.owned('raw', 1), undefined);
  });

  it('keeps partitions independent', () => {
    const t = new OffsetTracker();
    t.assign('a', 0);
    t.assign('b', 0);
    const sa = t.open(t.owned('a', 0)!, 1, 5);
    t.open(t.owned('b', 0)!, 1, 9);
    t.complete(sa);
    assert.deepEqual(t.takeCommits(), [{ topic: 'a', partition: 0, offset: 6 }]);
  });
});

describe('OffsetTracker bytes in flight', () => {
  it('counts a segment until its last record is done, and forgets a revoked partition', () => {
    const t = new OffsetTracker();
    t.assign('raw', 0);
    t.assign('raw', 1);
    const a = t.open(t.owned('raw', 0)!, 2, 1, 1000);
    const b = t.open(t.owned('raw', 0)!, 1, 2, 300);
    t.open(t.owned('raw', 1)!, 1, 0, 50);
    assert.equal(t.inFlightBytes, 1350);
    t.complete(b);
    assert.equal(t.inFlightBytes, 1050, 'a done segment frees its bytes even behind a pending one');
    t.complete(a);
    assert.equal(t.inFlightBytes, 1050, 'a half-done segment keeps its bytes');
    t.complete(a);
    assert.equal(t.inFlightBytes, 50);
    t.revoke('raw', 1);
    assert.equal(t.inFlightBytes, 0);
    assert.equal(t.inFlight, 0);
  });
});
