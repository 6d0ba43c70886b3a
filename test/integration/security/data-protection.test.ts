/**
 * Data protection of quarantined records (issue 9, item 9) on moto S3 (SF_AWS_ENDPOINT):
 * - the real Quarantine class writes every object with server-side encryption (AES256 and
 *   aws:kms with the configured key), checked with HeadObject;
 * - the stack's quarantine bucket has Block Public Access (all four) and default encryption;
 * - the bucket policy documented in docs/deploy.md denies non-TLS access, unencrypted uploads and
 *   principals outside the account, grants nothing, round-trips through PutBucketPolicy /
 *   GetBucketPolicy on a scratch bucket, and moto's policy-status evaluation calls it not public
 *   (a deliberately public policy on the same bucket is called public, so the check has teeth).
 * Not provable on moto (it does not enforce policies or Block Public Access): that AWS refuses
 * a plain-HTTP or anonymous request. docs/security.md says so.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { s3Client } from '../../../src/common/aws.js';
import { createLogger } from '../../../src/common/logger.js';
import { REPO_ROOT } from '../../../src/dev/services.js';
import { Quarantine, type QuarantineRecord } from '../../../src/main/actions.js';
import { EnforcerMetrics } from '../../../src/main/metrics.js';
import { awsFromEnv, type Json } from '../control-plane/helpers.js';

const BUCKET = new URL(process.env.SF_QUARANTINE_URI || 's3://sf-quarantine/raw').host;
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';

function record(i: number, canary: string): QuarantineRecord {
  const evidenceId = `evd-sec-${i}`;
  return {
    topic: 'raw.orders.events',
    partition: i % 3,
    offset: 1000 + i,
    timestamp: Date.now(),
    key: Buffer.from(`o-${i}`),
    value: Buffer.from(JSON.stringify({ order_id: `o-${i}`, customer: { email: canary } })),
    headers: [['producer-id', Buffer.from('orders-svc')]],
    datasetUrn: 'urn:dp:orders:created',
    evidenceId,
    evidenceJson: Buffer.from(JSON.stringify({ evidence_id: evidenceId, validation: { result: 'FAIL' } })),
  };
}

/** The JSON block under "### Quarantine bucket" in docs/deploy.md, and the text around it. */
function documentedBucketPolicy(): { policy: Json; section: string } {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
  const start = doc.indexOf('### Quarantine bucket');
  assert.ok(start >= 0, 'docs/deploy.md has a "Quarantine bucket" section');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const m = /```json\n([\s\S]*?)\n```/.exec(section);
  assert.ok(m, 'the section holds a JSON bucket policy');
  return { policy: JSON.parse(m[1]), section };
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

test('quarantine objects are written with server-side encryption (AES256 and aws:kms)', async (t) => {
  const s3 = s3Client(awsFromEnv());
  t.after(() => s3.destroy());
  const log = createLogger('security-test', 'silent');
  const prefix = `security-test/${process.pid}-${randomBytes(4).toString('hex')}`;
  const canary = `canary-${randomBytes(6).toString('hex')}@example.com`;
  const keys: string[] = [];
  t.after(async () => {
    for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
  });

  const configs = [
    { name: 'AES256', sse: { algorithm: 'AES256' as const } },
    { name: 'aws:kms', sse: { algorithm: 'aws:kms' as const, kmsKeyId: KMS_KEY } },
  ];
  const seen: string[] = [];
  let i = 0;
  for (const c of configs) {
    const q = new Quarantine(`s3://${BUCKET}/${prefix}/${c.name}`, s3, new EnforcerMetrics(), log, c.sse);
    for (let n = 0; n < 3; n++) {
      const key = await q.write(record(i++, canary));
      keys.push(key);
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(head.ServerSideEncryption, c.sse.algorithm, `${key} encrypted with ${c.sse.algorithm}`);
      if (c.sse.algorithm === 'aws:kms') assert.equal(head.SSEKMSKeyId, KMS_KEY, 'with the configured key');
      assert.equal(head.ContentType, 'application/json');
      seen.push(`${c.name}:${head.ServerSideEncryption}`);
    }
  }
  // The object holds the raw record for forensics (the reason it must be encrypted and private).
  const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[0] }))).Body!.transformToString();
  const stored = JSON.parse(body);
  assert.ok(Buffer.from(stored.record.value_base64, 'base64').toString('utf8').includes(canary));
  t.diagnostic(`objects written: ${keys.length}, with SSE: ${seen.length} (${seen.join(', ')}), prefix ${prefix}`);
});

test('the quarantine bucket blocks public access and encrypts by default', async (t) => {
  const s3 = s3Client(awsFromEnv());
  t.after(() => s3.destroy());
  const pab = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }))).PublicAccessBlockConfiguration;
  assert.deepEqual(
    { ...pab },
    { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  );
  const enc = (await s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }))).ServerSideEncryptionConfiguration;
  const algorithms = (enc?.Rules ?? []).map((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm);
  assert.ok(algorithms.includes('AES256') || algorithms.includes('aws:kms'), JSON.stringify(enc));
  t.diagnostic(`bucket ${BUCKET}: public access block 4/4 on, default encryption ${algorithms.join(',')}`);
});

test('the documented bucket policy denies non-TLS, unencrypted and foreign access, and is not public', async (t) => {
  const { policy, section } = documentedBucketPolicy();
  const statements: Json[] = policy.Statement;

  // 1. Read the policy: it only denies; it never grants anything to anyone.
  assert.deepEqual(
    statements.filter((s) => s.Effect !== 'Deny').map((s) => s.Sid),
    [],
    'no Allow statement: access comes from IAM roles in the account only',
  );
  const docBucketArn = asList(statements[0].Resource).find((r: string) => !r.endsWith('/*')) as string;
  const covers = (s: Json) => {
    const r = asList<string>(s.Resource);
    return r.includes(docBucketArn) && r.includes(`${docBucketArn}/*`);
  };
  const tls = statements.find((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
  assert.ok(tls && tls.Principal === '*' && tls.Action === 's3:*' && covers(tls), 'deny every non-TLS request');
  const oldTls = statements.find((s) => s.Condition?.NumericLessThan?.['s3:TlsVersion'] !== undefined);
  assert.ok(oldTls && covers(oldTls), 'deny TLS below 1.2');
  const unencrypted = statements.find(
    (s) => s.Condition?.StringNotEquals?.['s3:x-amz-server-side-encryption'] === 'aws:kms',
  );
  assert.ok(unencrypted && asList(unencrypted.Action).includes('s3:PutObject'), 'deny uploads not encrypted with KMS');
  const foreign = statements.find((s) => s.Condition?.StringNotEquals?.['aws:PrincipalAccount'] !== undefined);
  assert.ok(foreign && foreign.Action === 's3:*' && covers(foreign), 'deny principals outside the account');
  for (const flag of ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets']) {
    assert.ok(section.includes(flag), `the section sets ${flag}`);
  }

  // 2. Apply it to a scratch bucket on moto: accepted, round-trips, evaluated as not public.
  const s3 = s3Client(awsFromEnv());
  t.after(() => s3.destroy());
  const bucket = `sf-sec-policy-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  t.after(async () => {
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })).catch(() => undefined);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
  const bucketName = docBucketArn.replace('arn:aws:s3:::', '');
  const applied = JSON.parse(JSON.stringify(policy).replaceAll(`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucket}`));

  // Control: a policy granting public reads is reported public by the same evaluation.
  const publicRead = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  };
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(publicRead) }));
  const controlStatus = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }));
  assert.equal(controlStatus.PolicyStatus?.IsPublic, true, 'the evaluation recognises a public policy');

  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(applied) }));
  const back = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
  assert.deepEqual(JSON.parse(back.Policy!), applied, 'GetBucketPolicy returns the documented policy unchanged');
  const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }));
  assert.equal(status.PolicyStatus?.IsPublic, false, 'the documented policy is not public');

  t.diagnostic(
    `documented policy: ${statements.length} statements, all Deny (${statements.map((s) => s.Sid).join(', ')}); ` +
      `round-tripped on ${bucket}; IsPublic=false (public-read control: IsPublic=true)`,
  );
});
