import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortable } from '../../../src/common/lifecycle.js';

test('abortable on an already aborted signal leaves no unhandled rejection behind', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const ctl = new AbortController();
    ctl.abort(new Error('stop'));
    // A start-up step that fails after the stop was requested (e.g. it saw the abort itself).
    const late = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('aborted start')), 5));
    await assert.rejects(abortable(late, ctl.signal), /stop/);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('abortable rejects with the abort reason while the promise is pending, and settles with it otherwise', async () => {
  const ctl = new AbortController();
  const pending = abortable(new Promise<number>(() => {}), ctl.signal);
  ctl.abort(new Error('stopping'));
  await assert.rejects(pending, /stopping/);
  assert.equal(await abortable(Promise.resolve(7), new AbortController().signal), 7);
});
