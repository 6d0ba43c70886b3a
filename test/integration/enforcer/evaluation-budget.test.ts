/**
 * Issue 13.1 on the real broker: one record cannot fail other records. The dataset's writer
 * schema (in Glue, on moto) is a 2020-12 schema with a `patternProperties` key regex, `^(a+)+$`,
 * which TypeBox (the 2020-12 engine) runs on V8's backtracking engine (it offers no seam for
 * another engine there, docs/gates.md; draft-07 schemas run on ajv with RE2 patterns); a
 * record with the key `aaaa…a!` would hold a worker for hours. Before: with one worker the
 * enforcer stalled 30 s, then the valid records queued behind the poison also got
 * EVALUATION_ERROR. Now: the poison gets EVALUATION_TIMEOUT after SF_RECORD_BUDGET_MS, its
 * worker is replaced, the valid records around it PASS, and nothing is missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateSchemaCommand } from '@aws-sdk/client-glue';
import { glueClient } from '../../../src/common/aws.js';
import { commonConfig } from '../../../src/common/config.js';
import { endOffsets, readEvidence } from '../../../src/dev/evidence-reader.js';
import { ordersExample } from '../../../src/dev/examples.js';
import { orders } from '../../../src/dev/orders.js';
import { produceAll, type ToProduce } from '../../../src/dev/produce.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { createTopics, stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const VALID = { missing_customer: 0, bad_currency: 0, undeclared_pii: 0, poison: 0 };
const BUDGET_MS = 500;

describe('enforcer: per-record evaluation budget', { timeout: 300_000 }, () => {
  it('a poison record between valid ones gets EVALUATION_TIMEOUT; the valid ones PASS; nothing is missing', async (t) => {
    const { brokers } = stackEnv();
    const cfg = commonConfig();
    const name = unique('orders-redos');
    const schema = {
      ...ordersExample.schema(),
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      patternProperties: { '^(a+)+$': {} },
    };
    await glueClient(cfg).send(
      new CreateSchemaCommand({
        RegistryId: { RegistryName: cfg.glueRegistry },
        SchemaName: name,
        DataFormat: 'JSON',
        Compatibility: 'BACKWARD',
        SchemaDefinition: JSON.stringify(schema),
      }),
    );
    const raw = unique('it.raw.budget');
    const evidenceTopic = unique('it.evidence.budget');
    await createTopics(brokers, [
      { topic: raw, numPartitions: 1 },
      { topic: evidenceTopic, numPartitions: 1 },
    ]);
    const cp = await startControlPlane(t);
    await ordersDataset(cp, raw, { enforcement_mode: 'ALERT_ONLY', schema_id: `glue:${name}:1` });
    const enforcer = await startEnforcer(t, {
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-budget'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
      SF_RECORD_BUDGET_MS: String(BUDGET_MS),
      SF_WORKERS: '1',
    });

    const valid = [...orders(40, 7, VALID)];
    const base = JSON.parse(valid[0].value!.toString());
    // 2^40 backtracking steps on V8 for this key: far beyond any budget.
    const poison: ToProduce = {
      key: Buffer.from('poison'),
      value: Buffer.from(JSON.stringify({ ...base, order_id: 'o-999999', [`${'a'.repeat(40)}!`]: 1 })),
    };
    const mark = await endOffsets(brokers, evidenceTopic);
    // One partition, one produce call: the poison sits in the middle of the valid records' batch.
    await produceAll(brokers, raw, [...valid.slice(0, 20), poison, ...valid.slice(20, 40)]);
    // Then more valid records, for the replacement worker.
    const later = [...orders(10, 8, VALID, 1000)];
    await produceAll(brokers, raw, later);
    const want = 51;
    const r = await readEvidence({
      brokers,
      topic: evidenceTopic,
      from: mark,
      until: (e) => e.length >= want,
      timeoutMs: 120_000,
    });
    assert.ok(r.done, `evidence for ${want} records (saw ${r.events.length})`);
    const offsets = r.events.map((e) => e.source.offset).sort((a, b) => a - b);
    assert.deepEqual(
      offsets,
      Array.from({ length: want }, (_, i) => i),
      'one evidence event per raw offset: nothing missing, nothing twice',
    );
    const byKey = new Map(r.events.map((e) => [e.source.key, e]));
    const p = byKey.get('poison');
    assert.ok(p, 'the poison record has evidence');
    assert.equal(p.validation.result, 'FAIL');
    assert.deepEqual(p.validation.reason_codes, ['EVALUATION_TIMEOUT']);
    const others = r.events.filter((e) => e.source.key !== 'poison');
    const notPass = others.filter((e) => e.validation.result !== 'PASS');
    assert.deepEqual(
      notPass.map((e) => `${e.source.offset}: ${e.validation.reason_codes}`),
      [],
      'every valid record PASSes, before and after the poison and after the worker was replaced',
    );
    assert.equal(enforcer.child.exitCode, null, 'the enforcer is still running');
    t.diagnostic(`${others.length} valid records PASS; the poison got EVALUATION_TIMEOUT (budget ${BUDGET_MS} ms)`);
  });
});
