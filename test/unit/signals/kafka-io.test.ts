import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientStats, prefetchConfig } from '../../../src/signals/kafka-io.js';

test('client statistics: lag over assigned partitions, queued bytes = producer queue + the shared fetch queue', () => {
  const stats = {
    msg_size: 1000,
    topics: {
      ev: {
        partitions: {
          '0': { consumer_lag: 5, fetchq_size: 4096 },
          '1': { consumer_lag: -1, fetchq_size: 4096 },
          '2': { consumer_lag: 7, fetchq_size: 3000 },
          '-1': { consumer_lag: 100, fetchq_size: 999_999 },
        },
      },
    },
  };
  // Every partition of a group consumer reports the one forwarded queue: counted once, not per partition.
  assert.deepEqual(clientStats(JSON.stringify(stats)), { lag: 12, queuedBytes: 1000 + 4096 });
  assert.deepEqual(clientStats('{}'), { lag: 0, queuedBytes: 0 });
});

test('prefetch bound per partition; one fetch response is capped by it too (1 MB at most)', () => {
  assert.deepEqual(prefetchConfig({ fetchQueueKb: 2048 }), {
    'queued.max.messages.kbytes': 2048,
    'max.partition.fetch.bytes': 1_048_576,
  });
  assert.deepEqual(prefetchConfig({ fetchQueueKb: 256 }), {
    'queued.max.messages.kbytes': 256,
    'max.partition.fetch.bytes': 262_144,
  });
  assert.deepEqual(prefetchConfig({}), {}, 'clients outside the engine keep librdkafka defaults');
});
