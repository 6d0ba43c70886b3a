import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { kafkaJsLogger, LogRateLimiter, routeClientLogs } from '../../../src/common/kafka-logs.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { lines, log: pino({ level: 'info' }, stream) };
}

test('LogRateLimiter admits `limit` lines per window, then reports what it dropped', () => {
  let now = 0;
  const l = new LogRateLimiter(3, 1000, () => now);
  assert.deepEqual([l.admit(), l.admit(), l.admit()], [0, 0, 0]);
  assert.equal(l.admit(), undefined);
  assert.equal(l.admit(), undefined);
  now = 999;
  assert.equal(l.admit(), undefined, 'same window');
  now = 1000;
  assert.equal(l.admit(), 3, 'the first line of the next window carries the dropped count');
  assert.equal(l.admit(), 0);
});

test('a burst of 17,000 identical librdkafka errors becomes a handful of JSON lines', () => {
  const { lines, log } = capture();
  const client = new EventEmitter();
  let now = 0;
  routeClientLogs(client, log, 'evidence producer', new LogRateLimiter(20, 10_000, () => now));
  for (let i = 0; i < 17_000; i++) {
    client.emit('event.error', Object.assign(new Error('broker transport failure'), { code: -195 }));
    if (i % 1000 === 0) now += 1000;
  }
  assert.ok(lines.length <= 20 * 2 + 1, `${lines.length} lines`);
  assert.equal(lines[0].msg, 'broker transport failure');
  assert.equal(lines[0].client, 'evidence producer');
  assert.equal(lines[0].code, -195);
  assert.equal(lines[0].level, 40);
  assert.ok(lines.some((l) => typeof l.suppressed === 'number' && (l.suppressed as number) > 1000));
});

test('librdkafka log severities map to our levels; the KafkaJS logger writes JSON too', () => {
  const { lines, log } = capture();
  const client = new EventEmitter();
  routeClientLogs(client, log, 'raw consumer');
  client.emit('event.log', { severity: 3, fac: 'FAIL', message: 'connect failed' });
  client.emit('event.log', { severity: 4, fac: 'REQTMOUT', message: 'timed out' });
  client.emit('event.log', { severity: 6, fac: 'CGRPOP', message: 'joined' });
  client.emit('event.log', { severity: 7, fac: 'FETCH', message: 'debug noise' });
  assert.deepEqual(
    lines.map((l) => [l.level, l.fac, l.msg]),
    [
      [50, 'FAIL', 'connect failed'],
      [40, 'REQTMOUT', 'timed out'],
      [30, 'CGRPOP', 'joined'],
    ],
  );
  const k = kafkaJsLogger(log, 'evidence index consumer');
  k.namespace().error('Error: broker down', { fac: 'BINDING', timestamp: 1 });
  const last = lines.at(-1);
  assert.deepEqual(
    [last?.level, last?.client, last?.fac, last?.msg],
    [50, 'evidence index consumer', 'BINDING', 'Error: broker down'],
  );
});
