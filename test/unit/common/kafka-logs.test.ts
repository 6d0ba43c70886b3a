import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { kafkaJsLogger, rateLimitedLog, routeClientLogs } from '../../../src/common/kafka-logs.js';

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

test('a burst of 17,000 identical librdkafka errors becomes one JSON line per window, with the count', () => {
  const { lines, log } = capture();
  const client = new EventEmitter();
  let now = 0;
  routeClientLogs(
    client,
    rateLimitedLog(log, 10_000, () => now),
    { client: 'evidence producer' },
  );
  for (let i = 0; i < 17_000; i++) {
    client.emit('event.error', Object.assign(new Error('broker transport failure'), { code: -195 }));
    if (i % 1000 === 999) now += 1000; // 17 s in all: two windows
  }
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.client, l.librdkafka_code, l.detail, l.repeats_dropped]),
    [
      [40, 'kafka client error', 'evidence producer', -195, 'broker transport failure', undefined],
      [40, 'kafka client error', 'evidence producer', -195, 'broker transport failure', 9999],
    ],
  );
});

test('librdkafka log severities map to levels; distinct facilities are not merged', () => {
  const { lines, log } = capture();
  const client = new EventEmitter();
  routeClientLogs(client, rateLimitedLog(log), { client: 'raw consumer' });
  client.emit('event.log', { severity: 3, fac: 'FAIL', message: 'connect failed' });
  client.emit('event.log', { severity: 4, fac: 'REQTMOUT', message: 'timed out' });
  client.emit('event.log', { severity: 6, fac: 'CGRPOP', message: 'joined' });
  client.emit('event.log', { severity: 7, fac: 'FETCH', message: 'debug noise' });
  assert.deepEqual(
    lines.map((l) => [l.level, l.librdkafka, l.detail, l.client]),
    [
      [40, 'FAIL', 'connect failed', 'raw consumer'],
      [40, 'REQTMOUT', 'timed out', 'raw consumer'],
      [30, 'CGRPOP', 'joined', 'raw consumer'],
    ],
  );
});

test('the KafkaJS-compatible logger writes JSON through the same limiter', () => {
  const { lines, log } = capture();
  const k = kafkaJsLogger(rateLimitedLog(log), { client: 'kafka admin' });
  k.namespace().error('Error: broker down', { fac: 'BINDING', timestamp: 1 });
  k.error('Error: broker down', { fac: 'BINDING', timestamp: 2 });
  assert.deepEqual(
    lines.map((l) => [l.level, l.client, l.librdkafka, l.detail]),
    [[40, 'kafka admin', 'BINDING', 'Error: broker down']],
  );
});
