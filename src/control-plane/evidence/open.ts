/** Opens the evidence index named by its spec: `sqlite:<path>` or `dynamodb:<table-prefix>`. */
import { dynamoClient } from '../../common/aws.js';
import { type CommonConfig, ConfigError } from '../../common/config.js';
import { createEvidenceTables, DynamoEvidenceIndex } from './dynamodb-index.js';
import type { EvidenceIndex } from './index-store.js';
import { SqliteEvidenceIndex } from './sqlite-index.js';

export interface OpenIndexOptions {
  retentionDays: number;
  maxRows?: number;
  createTables?: boolean;
}

export function parseIndexSpec(spec: string): { kind: 'sqlite' | 'dynamodb'; rest: string } {
  const i = spec.indexOf(':');
  const kind = i < 0 ? spec : spec.slice(0, i);
  const rest = i < 0 ? '' : spec.slice(i + 1);
  if ((kind !== 'sqlite' && kind !== 'dynamodb') || rest === '') {
    throw new ConfigError(`the evidence index must be sqlite:<path> or dynamodb:<table-prefix>, got "${spec}"`);
  }
  return { kind, rest };
}

export async function openEvidenceIndex(
  spec: string,
  aws: Pick<CommonConfig, 'awsEndpoint' | 'awsRegion'>,
  o: OpenIndexOptions,
): Promise<EvidenceIndex> {
  const { kind, rest } = parseIndexSpec(spec);
  if (kind === 'sqlite') return new SqliteEvidenceIndex(rest, { retentionDays: o.retentionDays, maxRows: o.maxRows });
  const client = dynamoClient(aws);
  if (o.createTables) await createEvidenceTables(client, rest);
  return new DynamoEvidenceIndex(client, rest, o.retentionDays);
}
