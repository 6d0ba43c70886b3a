import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreError, VersionConflictError } from '../../../src/control-plane/errors.js';
import { SqliteStore } from '../../../src/control-plane/store/sqlite.js';
import { InvalidCursorError, type Mutation } from '../../../src/control-plane/store/types.js';

const m = (key: string, expectedVersion: number | null, version: number, atWatermark?: number): Mutation => ({
  kind: 'policy',
  key,
  expectedVersion,
  doc: { version },
  atWatermark,
  audit: {
    at: '2026-01-01T00:00:00.000Z',
    actor: 'u',
    action: 'policy.update',
    target: key,
    before_version: expectedVersion,
    after_version: version,
  },
});

test('commit: versions are conditional; watermark and audit move together', async () => {
  const s = new SqliteStore(':memory:');
  assert.equal(await s.watermark(), 0);
  assert.equal(await s.commit(m('a', null, 1)), 1);
  await assert.rejects(s.commit(m('a', null, 1)), VersionConflictError);
  await assert.rejects(s.commit(m('a', 5, 6)), VersionConflictError);
  assert.equal(await s.commit(m('a', 1, 2)), 2);
  await assert.rejects(s.commit(m('b', null, 1, 1)), VersionConflictError, 'pinned watermark moved');
  assert.equal(await s.commit(m('b', null, 1, 2)), 3);
  assert.equal(await s.watermark(), 3);
  const log = await s.audit({ limit: 10 });
  assert.deepEqual(
    log.items.map((e) => [e.seq, e.target]),
    [
      [3, 'b'],
      [2, 'a'],
      [1, 'a'],
    ],
  );
  assert.deepEqual(
    (await s.audit({ limit: 10, target: 'b' })).items.map((e) => e.seq),
    [3],
  );
  assert.deepEqual(await s.get('policy', 'a'), { version: 2 });
  assert.equal(await s.get('contract', 'a'), undefined, 'kinds are separate');
  await s.close();
});

test('list pages by key with an opaque cursor', async () => {
  const s = new SqliteStore(':memory:');
  for (const k of ['c', 'a', 'e', 'b', 'd']) await s.commit(m(k, null, 1));
  const p1 = await s.list('policy', { limit: 2 });
  assert.equal(p1.items.length, 2);
  const p2 = await s.list('policy', { limit: 2, cursor: p1.next_cursor! });
  const p3 = await s.list('policy', { limit: 2, cursor: p2.next_cursor! });
  assert.equal(p3.items.length, 1);
  assert.equal(p3.next_cursor, null);
  assert.equal((await s.all('policy')).length, 5);
  await assert.rejects(s.list('policy', { limit: 2, cursor: 'bm90LWpzb24' }), InvalidCursorError);
  await s.close();
});

test('a closed database surfaces as StoreError', async () => {
  const s = new SqliteStore(':memory:');
  await s.close();
  await assert.rejects(s.ping(), StoreError);
  await assert.rejects(s.commit(m('a', null, 1)), StoreError);
});

test('commit with doc null deletes, conditionally, with its audit entry and a watermark bump', async () => {
  const s = new SqliteStore(':memory:');
  await s.commit(m('a', null, 1));
  const del = (expected: number): Mutation => ({
    ...m('a', expected, 0),
    doc: null,
    audit: { ...m('a', expected, 0).audit, action: 'policy.delete', after_version: null },
  });
  await assert.rejects(s.commit(del(7)), VersionConflictError, 'a stale version deletes nothing');
  assert.deepEqual(await s.get('policy', 'a'), { version: 1 });
  assert.equal(await s.commit(del(1)), 2);
  assert.equal(await s.get('policy', 'a'), undefined);
  assert.deepEqual(
    (await s.audit({ limit: 1 })).items.map((e) => [e.seq, e.action, e.after_version]),
    [[2, 'policy.delete', null]],
  );
  await assert.rejects(s.commit(del(1)), VersionConflictError, 'already gone');
  await s.close();
});
