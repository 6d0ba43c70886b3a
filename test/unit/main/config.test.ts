import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { enforcerConfig } from '../../../src/main/config.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('enforcerConfig', () => {
  it('requires SF_ENFORCER_TOPICS', () => {
    delete process.env.SF_ENFORCER_TOPICS;
    assert.throws(() => enforcerConfig(), { code: 'CONFIG_INVALID' });
  });
  it('reads a list or one /regex/ of topics', () => {
    process.env.SF_ENFORCER_TOPICS = 'raw.a, raw.b';
    assert.deepEqual(enforcerConfig().topics, ['raw.a', 'raw.b']);
    process.env.SF_ENFORCER_TOPICS = '/raw\\..*/';
    const re = enforcerConfig().topics as RegExp;
    assert.ok(re.test('raw.orders') && !re.test('xraw.orders'));
  });
  it('defaults follow the design: latest, evidence topic, port 9464', () => {
    process.env.SF_ENFORCER_TOPICS = 'raw.a';
    delete process.env.SF_ENFORCER_OFFSET_RESET;
    const c = enforcerConfig();
    assert.equal(c.offsetReset, 'latest');
    assert.equal(c.evidenceTopic, 'signal_factory.evidence');
    assert.equal(c.httpPort, 9464);
    assert.ok(c.workers >= 1);
  });
  it('SF_RECORD_BUDGET_MS: 2000 ms by default, a positive integer', () => {
    process.env.SF_ENFORCER_TOPICS = 'raw.a';
    delete process.env.SF_RECORD_BUDGET_MS;
    assert.equal(enforcerConfig().recordBudgetMs, 2000);
    process.env.SF_RECORD_BUDGET_MS = '250';
    assert.equal(enforcerConfig().recordBudgetMs, 250);
    for (const bad of ['0', '-5', 'soon']) {
      process.env.SF_RECORD_BUDGET_MS = bad;
      assert.throws(() => enforcerConfig(), { code: 'CONFIG_INVALID' }, bad);
    }
  });
  it('rejects a malformed number with a config error', () => {
    process.env.SF_ENFORCER_TOPICS = 'raw.a';
    process.env.SF_WORKERS = 'two';
    assert.throws(() => enforcerConfig(), { code: 'CONFIG_INVALID' });
  });
});
