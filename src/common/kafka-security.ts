/**
 * How every Kafka client of the project authenticates (MSK in production):
 *   SF_KAFKA_AUTH = none | tls | scram-sha-512 | aws-msk-iam   [none]
 *   SF_KAFKA_SASL_USERNAME / SF_KAFKA_SASL_PASSWORD  (scram-sha-512)
 *   SF_KAFKA_CA_LOCATION  (optional CA bundle for tls / sasl_ssl)
 * aws-msk-iam signs short-lived OAUTHBEARER tokens with the SDK credential chain (IRSA on
 * EKS) through AWS's own signer; librdkafka asks for a new token before expiry.
 */
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { ConfigError } from './config.js';

export type KafkaAuth = 'none' | 'tls' | 'scram-sha-512' | 'aws-msk-iam';

export function kafkaSecurityConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const auth = (env.SF_KAFKA_AUTH || 'none') as KafkaAuth;
  const ca = env.SF_KAFKA_CA_LOCATION ? { 'ssl.ca.location': env.SF_KAFKA_CA_LOCATION } : {};
  switch (auth) {
    case 'none':
      return {};
    case 'tls':
      return { 'security.protocol': 'ssl', ...ca };
    case 'scram-sha-512': {
      const username = env.SF_KAFKA_SASL_USERNAME;
      const password = env.SF_KAFKA_SASL_PASSWORD;
      if (!username || !password)
        throw new ConfigError('SF_KAFKA_AUTH=scram-sha-512 needs SF_KAFKA_SASL_USERNAME and SF_KAFKA_SASL_PASSWORD');
      return {
        'security.protocol': 'sasl_ssl',
        'sasl.mechanisms': 'SCRAM-SHA-512',
        'sasl.username': username,
        'sasl.password': password,
        ...ca,
      };
    }
    case 'aws-msk-iam': {
      const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
      if (!region) throw new ConfigError('SF_KAFKA_AUTH=aws-msk-iam needs AWS_REGION');
      return {
        'security.protocol': 'sasl_ssl',
        'sasl.mechanisms': 'OAUTHBEARER',
        ...ca,
        oauthbearer_token_refresh_cb: async () => {
          const { token, expiryTime } = await generateAuthToken({ region });
          return { tokenValue: token, lifetime: expiryTime, principal: 'signal-factory' };
        },
      };
    }
    default:
      throw new ConfigError(`SF_KAFKA_AUTH must be none, tls, scram-sha-512 or aws-msk-iam, got "${auth}"`);
  }
}
