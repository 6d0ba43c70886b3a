import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  batchTransferList,
  decodeSnapshot,
  encodeSnapshot,
  evidenceBytes,
  type PackInput,
  packBatch,
  packEvidence,
  recordCount,
  unpackRecord,
} from '../../../src/workers/pack.js';
import { snapshot } from '../gates/fixtures.js';

const records: PackInput[] = [
  {
    topic: 'raw.a',
    partition: 3,
    offset: 2 ** 40,
    timestamp: 1_736_769_661_900,
    key: Buffer.from('k1'),
    value: Buffer.from('{"a":1}'),
    headers: [
      ['h1', Buffer.from('v1')],
      ['h2', Buffer.from('')],
    ],
  },
  { topic: 'raw.b', partition: 0, offset: 0, timestamp: 0, key: null, value: null, headers: [] },
  {
    topic: 'raw.a',
    partition: 1,
    offset: 7,
    timestamp: 5,
    key: Buffer.alloc(0),
    value: Buffer.from([0xff, 0, 3]),
    headers: [{ trace: 'ü' }] as never,
    otel: ['t', 's'],
  },
];

test('pack/unpack round trip preserves every field, null vs empty, and header order', () => {
  const sab = encodeSnapshot(snapshot());
  const b = packBatch(records, 7, sab, 42);
  assert.equal(recordCount(b), 3);
  assert.deepEqual(b.topics, ['raw.a', 'raw.b']);
  assert.equal(b.now, 42);
  const back = records.map((_, i) => unpackRecord(b, i));
  assert.equal(back[0].offset, 2 ** 40);
  assert.equal(back[0].partition, 3);
  assert.equal(back[0].timestamp, 1_736_769_661_900);
  assert.equal(Buffer.from(back[0].key!).toString(), 'k1');
  assert.equal(Buffer.from(back[0].value!).toString(), '{"a":1}');
  assert.deepEqual(back[0].headerNames, ['h1', 'h2']);
  assert.deepEqual(
    back[0].headerValues.map((v) => Buffer.from(v).toString()),
    ['v1', ''],
  );
  assert.equal(back[1].key, null);
  assert.equal(back[1].value, null);
  assert.equal(back[2].key!.length, 0);
  assert.deepEqual([...back[2].value!], [0xff, 0, 3]);
  assert.deepEqual(back[2].headerNames, ['trace']);
  assert.equal(Buffer.from(back[2].headerValues[0]).toString(), 'ü');
  assert.deepEqual(back[2].otel, ['t', 's']);
  assert.equal(back[1].otel, null);
  // One transferable buffer holds every byte.
  assert.equal(b.data.byteLength, 2 + 7 + 2 + 0 + 3 + Buffer.byteLength('ü'));
  assert.equal(batchTransferList(b).length, 4, 'record bytes, meta, header spans and header name indexes move');
});

test('packBatch (records, snapshotVersion, snapshot, now?): the batch carries them; now defaults to Date.now()', () => {
  const sab = encodeSnapshot(snapshot());
  const a = packBatch(records, 1, sab, 9);
  assert.equal(a.snapshotVersion, 1);
  assert.equal(a.snapshot, sab);
  assert.equal(a.now, 9);
  const before = Date.now();
  const b = packBatch(records, 2, sab);
  assert.ok(b.now >= before && b.now <= Date.now());
  assert.deepEqual([...new Uint8Array(a.data)], [...new Uint8Array(b.data)]);
  assert.deepEqual([...a.meta], [...b.meta]);
});

test('snapshot encodes to shared memory and back', () => {
  const s = snapshot();
  const sab = encodeSnapshot(s);
  assert.ok(sab instanceof SharedArrayBuffer);
  assert.deepEqual(decodeSnapshot(sab), JSON.parse(JSON.stringify(s)));
});

test('evidence packing round trip with non-ASCII', () => {
  const docs = ['{"a":1}', '{"p":"ü→€"}', ''];
  const r = packEvidence(docs);
  assert.deepEqual(
    docs.map((_, i) => evidenceBytes(r, i).toString('utf8')),
    docs,
  );
});
