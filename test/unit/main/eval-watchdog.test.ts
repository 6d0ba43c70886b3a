import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EvalWatchdog, overBudget, tickMs } from '../../../src/main/eval-watchdog.js';
import { RecordProgress } from '../../../src/workers/progress.js';

test('overBudget: a record is timed from its own start, only while it runs', () => {
  const p = RecordProgress.create();
  assert.equal(overBudget(p, 3, 1e12, 100), -1, 'not started (queued, or compiling the snapshot): never over');
  p.began(0, 1000);
  assert.equal(overBudget(p, 3, 1100, 100), -1, 'exactly at the budget is within it');
  assert.equal(overBudget(p, 3, 1101, 100), 0);
  p.began(1, 1090);
  assert.equal(overBudget(p, 3, 1150, 100), -1, 'the next record restarts the clock');
  assert.equal(overBudget(p, 3, 1191, 100), 1);
  p.began(3, 1200);
  assert.equal(overBudget(p, 3, 1e12, 100), -1, 'past the last record: the task is finishing, nothing runs');
});

test('RecordProgress: the worker side and the main side share one buffer', () => {
  const main = RecordProgress.create();
  const worker = new RecordProgress(main.buffer);
  assert.equal(main.current(), -1);
  worker.began(7, 1234.5);
  assert.equal(main.current(), 7);
  assert.equal(main.startedAt(), 1234.5);
});

test('EvalWatchdog: reports each over-budget task once, with the stuck index', () => {
  let now = 0;
  const dog = new EvalWatchdog(50, () => now);
  const a = RecordProgress.create();
  const b = RecordProgress.create();
  const fired: string[] = [];
  const stopA = dog.watch(a, 10, (i) => fired.push(`a${i}`));
  dog.watch(b, 10, (i) => fired.push(`b${i}`));
  a.began(4, 0);
  b.began(0, 30);
  now = 60;
  dog.check();
  assert.deepEqual(fired, ['a4'], 'b has run 30 ms of its 50');
  now = 1000;
  dog.check();
  dog.check();
  assert.deepEqual(fired, ['a4', 'b0'], 'once each');
  stopA(); // unwatching a reported task is harmless
  dog.check();
  assert.deepEqual(fired, ['a4', 'b0']);
});

test('EvalWatchdog: a finished task is unwatched before it can be reported', () => {
  let now = 0;
  const dog = new EvalWatchdog(50, () => now);
  const p = RecordProgress.create();
  let fired = 0;
  const stop = dog.watch(p, 2, () => fired++);
  p.began(1, 0);
  stop();
  now = 1000;
  dog.check();
  assert.equal(fired, 0);
});

test('tickMs: a quarter of the budget, within 5 ms..1 s', () => {
  assert.equal(tickMs(2000), 500);
  assert.equal(tickMs(8), 5);
  assert.equal(tickMs(60_000), 1000);
});
