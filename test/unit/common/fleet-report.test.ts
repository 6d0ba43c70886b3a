import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeReport, type FleetReport, parseReport } from '../../../src/common/fleet-report.js';
import { FLEET_WINDOW_SEC, FleetRegistry } from '../../../src/control-plane/fleet.js';

const report = (over: Partial<FleetReport> = {}): FleetReport => ({
  instance: 'enforcer-0',
  ready: true,
  reasons: [],
  lag: 12,
  partitions: 3,
  snapshot_version: 7,
  ...over,
});

test('fleet report: round trip through the header; anything else is ignored, never thrown', () => {
  const r = report({ ready: false, reasons: ['producer not connected'], lag: null, instance: 'pod-ä:1' });
  assert.deepEqual(parseReport(encodeReport(r)), r);
  for (const bad of [
    undefined,
    '',
    '%E0%A4%A',
    'not json',
    encodeURIComponent('[]'),
    encodeReport(report({ instance: '' })),
    encodeReport(report({ lag: -1 })),
    encodeReport({ ...report(), partitions: 1.5 }),
    encodeURIComponent(JSON.stringify({ ...report(), ready: 'yes' })),
    'x'.repeat(5000),
  ]) {
    assert.equal(parseReport(bad), undefined, String(bad).slice(0, 40));
  }
});

test('fleet registry: latest report per instance, not ready first, forgotten after the window', () => {
  const f = new FleetRegistry();
  const t0 = Date.UTC(2026, 0, 1);
  f.record(report({ instance: 'b' }), 'svc', t0);
  f.record(report({ instance: 'a', lag: 1 }), 'svc', t0);
  f.record(report({ instance: 'c', ready: false }), 'svc', t0 + 1000);
  f.record(report({ instance: 'a', lag: 5 }), 'svc', t0 + 2000);
  const now = f.list(t0 + 3000);
  assert.deepEqual(
    now.map((x) => [x.instance, x.ready, x.lag, x.age_sec]),
    [
      ['c', false, 12, 2],
      ['a', true, 5, 1],
      ['b', true, 12, 3],
    ],
  );
  assert.deepEqual(
    f.list(t0 + 1000 + FLEET_WINDOW_SEC * 1000 + 1).map((x) => x.instance),
    ['a'],
    'b and c went silent for longer than the window',
  );
});
