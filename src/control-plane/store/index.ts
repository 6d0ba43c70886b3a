/** Opens the store named by SF_POLICY_STORE: `sqlite:<path>` (default) or `dynamodb:<table-prefix>`. */
import { dynamoClient } from '../../common/aws.js';
import { type CommonConfig, ConfigError } from '../../common/config.js';
import { createTables, DynamoStore } from './dynamodb.js';
import { SqliteStore } from './sqlite.js';
import type { ControlPlaneStore } from './types.js';

export { createTables, DynamoStore, tableNames } from './dynamodb.js';
export { SqliteStore } from './sqlite.js';
export * from './types.js';

export const DEFAULT_POLICY_STORE = 'sqlite:.data/control-plane.db';

export async function openStore(
  spec: string,
  aws: Pick<CommonConfig, 'awsEndpoint' | 'awsRegion'>,
  opts: { createTables?: boolean } = {},
): Promise<ControlPlaneStore> {
  const i = spec.indexOf(':');
  const scheme = i < 0 ? spec : spec.slice(0, i);
  const rest = i < 0 ? '' : spec.slice(i + 1);
  if (scheme === 'sqlite') {
    if (!rest) throw new ConfigError('SF_POLICY_STORE: sqlite needs a path, e.g. sqlite:.data/control-plane.db');
    return new SqliteStore(rest);
  }
  if (scheme === 'dynamodb') {
    if (!rest) throw new ConfigError('SF_POLICY_STORE: dynamodb needs a table prefix, e.g. dynamodb:signal-factory');
    const client = dynamoClient(aws);
    if (opts.createTables) await createTables(client, rest);
    return new DynamoStore(client, rest);
  }
  throw new ConfigError(`SF_POLICY_STORE must be sqlite:<path> or dynamodb:<table-prefix>, got "${spec}"`);
}
