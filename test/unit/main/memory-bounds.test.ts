import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { enforcerConfig } from '../../../src/main/config.js';
import { fetchMaxBytes, rawConsumerConfig } from '../../../src/main/consumer.js';
import { evidenceProducerConfig } from '../../../src/main/evidence-producer.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('byte bounds of the enforcer (issue 14, peak RSS)', () => {
  it('SF_EVIDENCE_QUEUE_KB: 16 MiB by default, at least 1 MiB, reaches librdkafka', () => {
    process.env.SF_ENFORCER_TOPICS = 'raw.a';
    delete process.env.SF_EVIDENCE_QUEUE_KB;
    assert.equal(enforcerConfig().evidenceQueueKb, 16384);
    process.env.SF_EVIDENCE_QUEUE_KB = '4096';
    const kb = enforcerConfig().evidenceQueueKb;
    assert.equal(evidenceProducerConfig('b:9092', 1000, kb)['queue.buffering.max.kbytes'], 4096);
    for (const bad of ['512', 'lots']) {
      process.env.SF_EVIDENCE_QUEUE_KB = bad;
      assert.throws(() => enforcerConfig(), { code: 'CONFIG_INVALID' }, bad);
    }
  });

  it('a fetch response is capped at a quarter of the prefetch budget, within librdkafka limits', () => {
    assert.equal(fetchMaxBytes(16384), 4 << 20);
    assert.equal(fetchMaxBytes(64), 1 << 20, 'never below message.max.bytes');
    assert.equal(fetchMaxBytes(1 << 20), 50 << 20, 'never above librdkafka default');
    const c = rawConsumerConfig({ brokers: 'b:9092', groupId: 'g', fetchQueueKb: 32768 });
    assert.equal(c['fetch.max.bytes'], 8 << 20);
    assert.equal(c['queued.max.messages.kbytes'], 32768);
  });
});
