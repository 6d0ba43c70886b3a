/**
 * GatePool with real Piscina workers and the real gate pipeline (no Kafka): how a batch that
 * cannot be judged whole still gives every record its own verdict.
 * - A record whose evaluation never ends (a 2020-12 schema's `patternProperties` key regex, which
 *   TypeBox runs on V8's backtracking engine, against a key built to backtrack for hours; draft-07
 *   schemas run on ajv with RE2 patterns and cannot hang this way) gets
 *   EVALUATION_TIMEOUT; the rest of its batch, and a batch queued behind it, PASS.
 * - A task that throws takes the split-and-retry path down to single records (EVALUATION_ERROR).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { GatePool } from '../../../src/main/dispatch.js';
import type { ConsumedRecord } from '../../../src/main/records.js';
import { encodeSnapshot, evidenceBytes, verdictCount } from '../../../src/workers/pack.js';
import type { BatchResult } from '../../../src/workers/protocol.js';
import { ORDER_SCHEMA, order, schema, snapshot, TOPIC } from '../gates/fixtures.js';

const REDOS_KEY = '^(a+)+$';
const snap = snapshot({
  schemas: [
    schema({
      definition: JSON.stringify({
        ...ORDER_SCHEMA,
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        patternProperties: { [REDOS_KEY]: {} },
      }),
    }),
  ],
});
const shared = { version: snap.version, buffer: encodeSnapshot(snap) };

let offset = 0;
function record(value: object): ConsumedRecord {
  const o = offset++;
  return {
    topic: TOPIC,
    partition: 0,
    offset: o,
    timestamp: 1000,
    key: Buffer.from(`k-${o}`),
    value: Buffer.from(JSON.stringify(value)),
    headers: [],
  };
}
/** ~2^40 backtracking steps for V8 on this key: far beyond any budget. */
const poison = () => record({ ...order(), [`${'a'.repeat(40)}!`]: 1 });

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

function events(results: BatchResult[]) {
  const out: Array<{ offset: number; result: string; codes: string[] }> = [];
  for (const r of results) {
    for (let i = 0; i < verdictCount(r.verdicts); i++) {
      const e = JSON.parse(evidenceBytes(r, i).toString('utf8'));
      out.push({ offset: e.source.offset, result: e.validation.result, codes: e.validation.reason_codes });
    }
  }
  return out;
}

test('a record over the budget gets EVALUATION_TIMEOUT; its batch-mates and the batch queued behind it PASS', async (t) => {
  const { log, lines } = capture();
  const pool = new GatePool(1, 300, log);
  t.after(() => pool.close());
  const a = [record(order()), record(order()), poison(), record(order()), record(order())];
  const b = [record(order()), record(order()), record(order())];
  const t0 = performance.now();
  // One worker: b waits behind a's stuck record, and is not charged for the wait.
  const [ra, rb] = await Promise.all([pool.evaluate(a, shared, 0), pool.evaluate(b, shared, 0)]);
  const ms = performance.now() - t0;
  const ea = events(ra);
  assert.deepEqual(
    ea.map((e) => e.offset),
    a.map((r) => r.offset),
    'every record of the batch, once, in order',
  );
  assert.deepEqual(
    ea.map((e) => e.result),
    ['PASS', 'PASS', 'FAIL', 'PASS', 'PASS'],
  );
  assert.deepEqual(ea[2].codes, ['EVALUATION_TIMEOUT']);
  assert.deepEqual(
    events(rb).map((e) => e.result),
    ['PASS', 'PASS', 'PASS'],
  );
  assert.ok(ms < 10_000, `the stuck worker was replaced, not waited for (${Math.round(ms)} ms)`);
  assert.equal(lines.filter((l) => String(l.msg).startsWith('record over the evaluation budget')).length, 1);
  // The replacement worker takes new work.
  assert.deepEqual(
    events(await pool.evaluate([record(order())], shared, 0)).map((e) => e.result),
    ['PASS'],
  );
});

test('a task that throws is split down to single records: each gets EVALUATION_ERROR, none is lost', async (t) => {
  const { log, lines } = capture();
  const pool = new GatePool(1, 2000, log);
  t.after(() => pool.close());
  // A snapshot buffer that is not JSON: every task throws in the worker.
  const broken = { version: 99, buffer: new SharedArrayBuffer(8) };
  const recs = [record(order()), record(order()), record(order()), record(order())];
  const ev = events(await pool.evaluate(recs, broken, 0));
  assert.deepEqual(
    ev.map((e) => e.offset),
    recs.map((r) => r.offset),
  );
  assert.ok(ev.every((e) => e.result === 'FAIL' && e.codes[0] === 'EVALUATION_ERROR'));
  // 4 -> 2 + 2 -> 1 + 1 + 1 + 1: three splits, four single-record failures.
  assert.equal(lines.filter((l) => l.msg === 'batch evaluation failed; splitting').length, 3);
  assert.equal(lines.filter((l) => String(l.msg).startsWith('gate evaluation failed for a record')).length, 4);
  // The pool still works with a good snapshot.
  assert.deepEqual(
    events(await pool.evaluate([record(order())], shared, 0)).map((e) => e.result),
    ['PASS'],
  );
});
