import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/cli/args.js';
import { parseTime } from '../../../src/cli/replay.js';

test('replay --since/--until: ISO 8601 or <n>s|m|h|d ago; anything else is a usage error naming the option', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  assert.equal(parseTime('--since', '30m', now).toISOString(), '2026-12-02T11:30:00.000Z');
  assert.equal(parseTime('--since', '2d', now).toISOString(), '2026-11-30T12:00:00.000Z');
  assert.equal(parseTime('--until', '2026-12-01T08:15:00Z', now).toISOString(), '2026-12-01T08:15:00.000Z');
  assert.equal(parseTime('--until', '2026-12-01', now).toISOString(), '2026-12-01T00:00:00.000Z');
  for (const bad of ['yesterday', '10', '5w', '', '2026-13-45']) {
    assert.throws(
      () => parseTime('--since', bad, now),
      (e: Error) => e instanceof UsageError && e.message.startsWith('--since must be'),
    );
  }
});
