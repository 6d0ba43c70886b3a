import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaSecurityConfig } from '../../../src/common/kafka-security.js';

describe('kafkaSecurityConfig', () => {
  it('adds nothing without SF_KAFKA_AUTH', () => {
    assert.deepEqual(kafkaSecurityConfig({}), {});
  });
  it('maps SCRAM to sasl_ssl with credentials, and refuses missing ones', () => {
    const c = kafkaSecurityConfig({
      SF_KAFKA_AUTH: 'scram-sha-512',
      SF_KAFKA_SASL_USERNAME: 'u',
      SF_KAFKA_SASL_PASSWORD: 'p',
    });
    assert.equal(c['security.protocol'], 'sasl_ssl');
    assert.equal(c['sasl.mechanisms'], 'SCRAM-SHA-512');
    assert.equal(c['sasl.username'], 'u');
    assert.throws(() => kafkaSecurityConfig({ SF_KAFKA_AUTH: 'scram-sha-512' }), { code: 'CONFIG_INVALID' });
  });
  it('uses OAUTHBEARER with a token callback for MSK IAM', () => {
    const c = kafkaSecurityConfig({ SF_KAFKA_AUTH: 'aws-msk-iam', AWS_REGION: 'eu-west-1' });
    assert.equal(c['sasl.mechanisms'], 'OAUTHBEARER');
    assert.equal(typeof c.oauthbearer_token_refresh_cb, 'function');
  });
  it('rejects an unknown mode with a config error', () => {
    assert.throws(() => kafkaSecurityConfig({ SF_KAFKA_AUTH: 'plaintext-please' }), { code: 'CONFIG_INVALID' });
  });
});
