/**
 * `signal-factory validate --value-encoding base64` with `--schema x.proto` / `x.avsc`: framed
 * binary values (Confluent, Glue) judged offline with the local schema file, as the enforcer
 * judges them; the .proto's imports are read from beside it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { confluentFrame } from '../../../src/dev/confluent-frame.js';
import { avroOrderType, ITEM_PROTO, ORDER_AVSC, ORDER_PROTO, plainOrder, protoBytes } from './confluent-fixtures.js';
import { CONTRACT, glue, policy } from './fixtures.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sf-validate-bin-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const { version, updated_at, updated_by, schema_id, ...policyInput } = policy();
const pol = file('policy.json', policyInput);
const { created_at, created_by, ...contractInput } = CONTRACT;
const con = file('contract.json', contractInput);
mkdirSync(join(dir, 'acme'));
file('acme/item.proto', ITEM_PROTO);
const proto = file('order.proto', ORDER_PROTO);

function validate(args: string[], lines: Buffer[] | string) {
  const input = typeof lines === 'string' ? lines : `${lines.map((b) => b.toString('base64')).join('\n')}\n`;
  return spawnSync(process.execPath, ['bin/signal-factory.js', 'validate', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
  });
}
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const base = ['--policy', pol, '--contract', con, '--topic', 'raw.orders.events', '--value-encoding', 'base64'];

test('validate: base64 lines of Confluent-framed Protobuf, with --schema x.proto and its import', () => {
  const r = validate(
    [...base, '--schema', proto],
    [
      confluentFrame(42, protoBytes(plainOrder()), [1]),
      confluentFrame(42, protoBytes(plainOrder({ order_id: 'x-1' })), [1]),
      confluentFrame(42, protoBytes(plainOrder()), [5]),
    ],
  );
  assert.equal(r.status, 1, r.stderr);
  const [ok, contract, index] = events(r.stdout);
  assert.equal(ok.validation.result, 'PASS', JSON.stringify(ok.validation));
  assert.ok(contract.validation.reason_codes.some((c: string) => c.startsWith('PATTERN_MISMATCH:order_id')));
  assert.deepEqual(index.validation.reason_codes, ['PROTOBUF_MESSAGE_INDEX_INVALID']);
});

test('validate: base64 lines of Confluent- and Glue-framed Avro with --schema x.avsc', () => {
  const avsc = file('order.avsc', ORDER_AVSC);
  // The fixture's Avro order names acme.Item, defined in another file: inline it for the local schema.
  const inlined = JSON.stringify(ORDER_AVSC).replace(
    '"acme.Item"',
    JSON.stringify({
      type: 'record',
      name: 'Item',
      namespace: 'acme',
      fields: [
        { name: 'sku', type: 'string' },
        { name: 'qty', type: 'int' },
        { name: 'price', type: 'double' },
      ],
    }),
  );
  writeFileSync(avsc, inlined);
  const bytes = avroOrderType.toBuffer(plainOrder());
  const r = validate(
    [...base, '--schema', avsc],
    [
      confluentFrame(7, bytes),
      glue('11111111-1111-4111-8111-111111111111', bytes),
      confluentFrame(7, bytes.subarray(0, 5)),
    ],
  );
  const [c, g, cut] = events(r.stdout);
  assert.equal(c.validation.result, 'PASS', JSON.stringify(c.validation));
  assert.equal(g.validation.result, 'PASS', JSON.stringify(g.validation));
  assert.deepEqual(cut.validation.reason_codes, ['AVRO_DECODE_FAILED']);
  assert.equal(r.status, 1);
});

test('validate: a line that is not base64 is a usage error (exit 2) naming the line; bad encodings too', () => {
  const r = validate([...base, '--schema', proto], 'AAAA\nnot base64!\n');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /input line 2 is not base64/);
  const e = validate([...base.slice(0, -1), 'hex', '--schema', proto], '');
  assert.equal(e.status, 2);
  assert.match(e.stderr, /--value-encoding must be utf8 or base64/);
});

test('validate: a .proto whose import is missing is a configuration error naming it', () => {
  const lonely = join(mkdtempSync(join(tmpdir(), 'sf-validate-lonely-')), 'order.proto');
  writeFileSync(lonely, ORDER_PROTO);
  const r = validate([...base, '--schema', lonely], '');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /imports acme\/item\.proto/);
});
