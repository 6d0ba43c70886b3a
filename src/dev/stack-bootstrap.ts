/**
 * Bootstraps what the demo and the tests need on the local stack (scripts/stack up):
 * topics, the Glue registry and the orders.created schema, the S3 quarantine bucket
 * (default encryption, public access blocked) and the DynamoDB tables. Idempotent.
 */

import {
  CreateRegistryCommand,
  CreateSchemaCommand,
  GetSchemaCommand,
  type GlueClient,
  RegisterSchemaVersionCommand,
} from '@aws-sdk/client-glue';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { archiveLocation } from '../archive/config.js';
import { dynamoClient, glueClient, s3Client } from '../common/aws.js';
import { commonConfig } from '../common/config.js';
import { ensureTopics, withAdmin } from '../common/kafka-admin.js';
import { createEvidenceTables } from '../control-plane/evidence/dynamodb-index.js';
import { createTables } from '../control-plane/store/dynamodb.js';
import { ordersExample } from './examples.js';

export const DEMO_TOPICS = [
  { topic: 'raw.orders.events', numPartitions: 12 },
  { topic: 'signal_factory.evidence', numPartitions: 12 },
  { topic: 'signal_factory.evidence.shadow', numPartitions: 6 },
  { topic: 'orders.created.blessed', numPartitions: 6 },
];

const isAlreadyExists = (e: unknown) =>
  (e as { name?: string }).name === 'AlreadyExistsException' ||
  (e as { name?: string }).name === 'BucketAlreadyOwnedByYou';

export async function ensureGlueSchema(
  glue: GlueClient,
  registry: string,
  schemaName: string,
  definition: string,
  dataFormat: 'JSON' | 'AVRO' = 'JSON',
): Promise<void> {
  try {
    await glue.send(new CreateRegistryCommand({ RegistryName: registry }));
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  try {
    await glue.send(new GetSchemaCommand({ SchemaId: { RegistryName: registry, SchemaName: schemaName } }));
    await glue.send(
      new RegisterSchemaVersionCommand({
        SchemaId: { RegistryName: registry, SchemaName: schemaName },
        SchemaDefinition: definition,
      }),
    );
  } catch (e) {
    if ((e as { name?: string }).name !== 'EntityNotFoundException') throw e;
    await glue.send(
      new CreateSchemaCommand({
        RegistryId: { RegistryName: registry },
        SchemaName: schemaName,
        DataFormat: dataFormat,
        Compatibility: 'BACKWARD',
        SchemaDefinition: definition,
      }),
    );
  }
}

export async function ensureQuarantineBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch {
    // not there yet
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
}

async function main(): Promise<void> {
  const cfg = commonConfig();
  const created = await withAdmin(cfg.brokers, (admin) => ensureTopics(admin, DEMO_TOPICS));
  console.log(`topics: ${DEMO_TOPICS.map((t) => t.topic).join(', ')} (created: ${created.length})`);

  const schema = JSON.stringify(ordersExample.schema());
  const glue = glueClient(cfg);
  try {
    await glue.send(
      new GetSchemaCommand({ SchemaId: { RegistryName: cfg.glueRegistry, SchemaName: 'orders.created' } }),
    );
  } catch {
    await ensureGlueSchema(glue, cfg.glueRegistry, 'orders.created', schema);
  }
  console.log(`glue: registry ${cfg.glueRegistry}, schema orders.created`);

  const quarantine = process.env.SF_QUARANTINE_URI ?? 's3://sf-quarantine/raw';
  const bucket = new URL(quarantine).host;
  await ensureQuarantineBucket(s3Client(cfg), bucket);
  console.log(`s3: bucket ${bucket} (SSE AES256, public access blocked)`);
  const archive = archiveLocation().bucket;
  await ensureQuarantineBucket(s3Client(cfg), archive);
  console.log(`s3: evidence archive bucket ${archive}`);

  const store = process.env.SF_POLICY_STORE ?? '';
  if (store.startsWith('dynamodb:')) {
    const prefix = store.slice('dynamodb:'.length);
    await createTables(dynamoClient(cfg), prefix);
    // The evidence index follows a DynamoDB policy store (SF_EVIDENCE_INDEX=auto).
    await createEvidenceTables(dynamoClient(cfg), prefix);
    console.log(`dynamodb: control plane and evidence index tables with prefix ${prefix}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`bootstrap failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
