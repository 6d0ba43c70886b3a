import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvidence } from '../../../src/control-plane/evidence/consumer.js';
import { SqliteEvidenceIndex } from '../../../src/control-plane/evidence/index-store.js';
import type { EvidenceEvent } from '../../../src/models/index.js';

const ev = (id: string, ts: string, urn: string | null, result: 'PASS' | 'FAIL'): EvidenceEvent => ({
  evidence_id: id,
  timestamp: ts,
  stage: 'OBSERVED_RAW',
  dataset_urn: urn,
  producer: { producer_id: null, identity_confidence: 'NONE' },
  source: { raw_topic: 't', partition: 0, offset: 1, key: null, event_time: ts },
  schema: { schema_id: null },
  contract: { contract_id: null },
  validation: { result, failed_gates: [], reason_codes: [] },
  otel: { trace_id: null, span_id: null },
  fingerprints: { payload_hash: null, schema_fingerprint: null },
});

test('index: idempotent inserts, filters, newest-first cursor pages', () => {
  const idx = new SqliteEvidenceIndex(':memory:');
  const events = [
    ev('e1', '2026-01-01T00:00:01Z', 'urn:dp:a:b', 'PASS'),
    ev('e2', '2026-01-01T00:00:02.000Z', 'urn:dp:a:b', 'FAIL'),
    ev('e3', '2026-01-01T00:00:02.000Z', null, 'FAIL'),
    ev('e4', '2026-01-01T00:00:03.5Z', 'urn:dp:c:d', 'PASS'),
  ];
  assert.equal(idx.insert(events), 4);
  assert.equal(idx.insert(events.slice(0, 2)), 0, 'redelivery is a no-op');
  const ids = (q: Parameters<typeof idx.query>[0]) => idx.query(q).items.map((e) => e.evidence_id);
  assert.deepEqual(ids({ limit: 10 }), ['e4', 'e3', 'e2', 'e1']);
  assert.deepEqual(ids({ limit: 10, result: 'FAIL' }), ['e3', 'e2']);
  assert.deepEqual(ids({ limit: 10, dataset_urn: 'urn:dp:a:b' }), ['e2', 'e1']);
  assert.deepEqual(
    ids({ limit: 10, since: '2026-01-01T00:00:02Z' }),
    ['e4', 'e3', 'e2'],
    'since compares times, not strings',
  );
  const p1 = idx.query({ limit: 2 });
  assert.deepEqual(ids({ limit: 2, cursor: p1.next_cursor! }), ['e2', 'e1']);
  idx.close();
});

test('parseEvidence accepts only evidence events', () => {
  const e = ev('e1', '2026-01-01T00:00:01Z', null, 'PASS');
  assert.deepEqual(parseEvidence(Buffer.from(JSON.stringify(e))), e);
  assert.equal(parseEvidence(Buffer.from('{"evidence_id":"x"}')), undefined);
  assert.equal(parseEvidence(Buffer.from('not json')), undefined);
  assert.equal(parseEvidence(null), undefined);
});
