import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignalsView } from '../../../src/control-plane/signals/view.js';
import type { Incident } from '../../../src/models/index.js';

const inc = (id: string, opened: number, o: Partial<Incident> = {}): Incident => ({
  incident_id: id,
  dataset_urn: 'urn:dp:t:a',
  kind: 'COMPLIANCE',
  state: 'open',
  opened_at: new Date(opened).toISOString(),
  updated_at: new Date(opened).toISOString(),
  resolved_at: null,
  first_seen: new Date(opened).toISOString(),
  last_seen: new Date(opened).toISOString(),
  summary: '',
  figures: {},
  top_reason_codes: [],
  suspected_producer: null,
  sample_evidence_ids: [],
  links: { evidence: '/v1/evidence' },
  ...o,
});

test('newest first, filters, and a cursor that pages without gaps or repeats', () => {
  const v = new SignalsView();
  for (let i = 0; i < 5; i++) v.applyIncident(inc(`i${i}`, i * 1000));
  v.applyIncident(inc('f', 2500, { kind: 'FRESHNESS', dataset_urn: 'urn:dp:t:b' }));
  const p1 = v.query({ limit: 2 });
  assert.deepEqual(
    p1.items.map((i) => i.incident_id),
    ['i4', 'i3'],
  );
  const p2 = v.query({ limit: 2, cursor: p1.next_cursor! });
  assert.deepEqual(
    p2.items.map((i) => i.incident_id),
    ['f', 'i2'],
  );
  const p3 = v.query({ limit: 2, cursor: p2.next_cursor! });
  assert.deepEqual(
    p3.items.map((i) => i.incident_id),
    ['i1', 'i0'],
  );
  assert.equal(p3.next_cursor, null);
  assert.deepEqual(
    v.query({ limit: 10, kind: 'FRESHNESS' }).items.map((i) => i.incident_id),
    ['f'],
  );
  assert.equal(v.query({ limit: 10, dataset_urn: 'urn:dp:t:a' }).items.length, 5);
  assert.throws(() => v.query({ limit: 1, cursor: 'nonsense' }), { code: 'INVALID_CURSOR' });
});

test('an acknowledgement survives later engine updates; a resolved incident stays resolved', () => {
  const v = new SignalsView();
  v.applyIncident(inc('x', 0));
  v.applyAck({ incident_id: 'x', acknowledged_by: 'alice', acknowledged_at: new Date(1).toISOString() });
  v.applyIncident(inc('x', 0, { updated_at: new Date(5000).toISOString(), summary: 'newer' }));
  assert.equal(v.incident('x')!.state, 'acknowledged');
  assert.equal(v.incident('x')!.summary, 'newer');
  assert.equal(v.query({ limit: 5, state: 'acknowledged' }).items.length, 1);
  assert.equal(v.openCount('urn:dp:t:a'), 1);
  v.applyIncident(inc('x', 0, { updated_at: new Date(1000).toISOString(), summary: 'stale replay' }));
  assert.equal(v.incident('x')!.summary, 'newer', 'an older record never replaces a newer one');
  v.applyIncident(inc('x', 0, { state: 'resolved', updated_at: new Date(9000).toISOString() }));
  assert.equal(v.incident('x')!.state, 'resolved');
  assert.equal(v.incident('x')!.acknowledged_by, 'alice');
  assert.equal(v.openCount('urn:dp:t:a'), 0);
});
