import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { rateLimitedLog } from '../../../src/common/kafka-logs.js';
import { backoffMs, indexState, LIVE_LAG, readStats } from '../../../src/control-plane/evidence/status.js';

const facts = {
  connected: true,
  everConnected: true,
  connectFailed: false,
  brokerUp: true,
  topicMissing: false,
  lag: 0,
};

test('index state from what the consumer knows', () => {
  assert.equal(indexState({ ...facts, connected: false, everConnected: false }), 'starting');
  assert.equal(indexState({ ...facts, connected: false, everConnected: false, connectFailed: true }), 'unavailable');
  assert.equal(indexState({ ...facts, connected: false }), 'unavailable');
  assert.equal(indexState({ ...facts, brokerUp: false }), 'unavailable');
  assert.equal(indexState({ ...facts, topicMissing: true }), 'unavailable');
  assert.equal(indexState({ ...facts, lag: null }), 'catching-up');
  assert.equal(indexState({ ...facts, lag: LIVE_LAG + 1 }), 'catching-up');
  assert.equal(indexState({ ...facts, lag: LIVE_LAG }), 'live');
});

test('backoff doubles from the first delay and stays under the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
});

const part = (partition: number, over: Record<string, unknown> = {}) => ({
  partition,
  fetch_state: 'active',
  hi_offset: 100,
  lo_offset: 0,
  app_offset: -1001,
  stored_offset: -1001,
  committed_offset: -1001,
  ...over,
});
const stats = (partitions: Record<string, unknown>[], state = 'UP') =>
  JSON.stringify({
    brokers: { 'b/bootstrap': { nodeid: -1, state: 'INIT' }, 'b:9092/1': { nodeid: 1, state } },
    topics: { ev: { partitions: Object.fromEntries(partitions.map((p) => [String(p.partition), p])) } },
  });

test('lag from librdkafka statistics: the furthest known position, else the log start', () => {
  const r = readStats(
    stats([
      part(0, { committed_offset: 40 }),
      part(1, { committed_offset: 40, stored_offset: 90 }),
      part(2),
      part(-1, { fetch_state: 'none', hi_offset: -1001 }),
      part(3, { fetch_state: 'none' }),
    ]),
    'ev',
  );
  assert.deepEqual(r, { brokerUp: true, partitions: 3, lag: 60 + 10 + 100 });
  assert.equal(readStats(stats([part(0, { hi_offset: -1001 })]), 'ev').lag, null, 'end not known yet');
  assert.deepEqual(readStats(stats([]), 'ev'), { brokerUp: true, partitions: 0, lag: null });
  assert.equal(readStats(stats([part(0)], 'TRY_CONNECT'), 'ev').brokerUp, false, 'the bootstrap entry does not count');
  assert.equal(readStats(stats([part(0)]), 'other').partitions, 0);
});

test('rate-limited log: one line per key and window, with the repeats dropped', () => {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  let now = 0;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const emit = rateLimitedLog(log, 1000);
    for (let i = 0; i < 500; i++) emit('a', 'warn', { i }, 'down');
    emit('b', 'info', {}, 'other');
    now = 1500;
    emit('a', 'warn', { i: 500 }, 'down');
  } finally {
    Date.now = realNow;
  }
  assert.deepEqual(
    lines.map((l) => [l.msg, l.i, l.repeats_dropped]),
    [
      ['down', 0, undefined],
      ['other', undefined, undefined],
      ['down', 500, 499],
    ],
  );
});
