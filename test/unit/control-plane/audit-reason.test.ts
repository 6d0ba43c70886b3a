import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditReason, MAX_REASON_LENGTH } from '../../../src/control-plane/audit-reason.js';

test('X-Audit-Reason: percent-encoded UTF-8 decoded and trimmed; absent or blank is no reason', () => {
  assert.equal(auditReason(undefined), undefined);
  assert.equal(auditReason('  '), undefined);
  assert.equal(auditReason('plain ascii'), 'plain ascii');
  assert.equal(auditReason(encodeURIComponent(' Störung: Ticket #42 ')), 'Störung: Ticket #42');
});

test('X-Audit-Reason: bad encoding and over-long values are 400 VALIDATION_FAILED naming the header', () => {
  for (const raw of ['%E0%A4%A', 'x'.repeat(MAX_REASON_LENGTH + 1)]) {
    assert.throws(
      () => auditReason(raw),
      (e: { code: string; status: number; details: Array<{ path: string }> }) =>
        e.code === 'VALIDATION_FAILED' && e.status === 400 && e.details[0].path === '/headers/x-audit-reason',
    );
  }
  assert.equal(auditReason('y'.repeat(MAX_REASON_LENGTH))?.length, MAX_REASON_LENGTH);
});
