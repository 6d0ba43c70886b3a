/** One place that builds AWS SDK clients, honouring SF_AWS_ENDPOINT (moto/LocalStack) when set. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // Node 20 is the platform we ship on

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import type { CommonConfig } from './config.js';

function base(cfg: Pick<CommonConfig, 'awsEndpoint' | 'awsRegion'>) {
  return {
    region: cfg.awsRegion,
    ...(cfg.awsEndpoint ? { endpoint: cfg.awsEndpoint } : {}),
    maxAttempts: 3,
  };
}

export const dynamoClient = (cfg: Pick<CommonConfig, 'awsEndpoint' | 'awsRegion'>) => new DynamoDBClient(base(cfg));
// Registry lookups sit on the enforcer's consume path: fail fast, the cache covers outages.
export const glueClient = (cfg: Pick<CommonConfig, 'awsEndpoint' | 'awsRegion'>) =>
  new GlueClient({ ...base(cfg), maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2500 } });
export const s3Client = (cfg: Pick<CommonConfig, 'awsEndpoint' | 'awsRegion'>) =>
  new S3Client({ ...base(cfg), forcePathStyle: Boolean(cfg.awsEndpoint) });
