import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { BulkHistogram } from '../../../src/main/bulk-histogram.js';

describe('BulkHistogram', () => {
  it('renders exactly like a prom-client histogram fed the same observations', async () => {
    const bounds = [0.1, 1, 10];
    const ours = new client.Registry();
    const theirs = new client.Registry();
    const bulk = new BulkHistogram('x_ms', 'help text', 'dataset', bounds, ours);
    const ref = new client.Histogram({
      name: 'x_ms',
      help: 'help text',
      labelNames: ['dataset'],
      buckets: bounds,
      registers: [theirs],
    });
    const values = [0.05, 0.1, 0.7, 3, 10, 11, 250];
    for (const v of values) {
      bulk.labels('a').observe(v);
      ref.observe({ dataset: 'a' }, v);
    }
    bulk.labels('b').observe(2);
    ref.observe({ dataset: 'b' }, 2);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });
});
