/**
 * Why a change was made, recorded in its audit entry. Sent as the `X-Audit-Reason` header so every
 * verb (PUT and DELETE alike) can carry it without touching the bodies, which are the documents
 * themselves. Header values are Latin-1 on the wire: the value is percent-encoded UTF-8
 * (encodeURIComponent in a browser); plain ASCII needs no encoding.
 */
import Type from 'typebox';
import { ApiError } from './errors.js';

export const MAX_REASON_LENGTH = 500;

export const AuditReasonHeader = {
  'x-audit-reason': Type.Optional(
    Type.String({
      maxLength: MAX_REASON_LENGTH * 9,
      description: `Why (percent-encoded UTF-8, at most ${MAX_REASON_LENGTH} characters decoded): kept in the audit entry`,
    }),
  ),
};

/** The decoded reason, or undefined when absent or blank; 400 when it is not valid percent-encoding or too long. */
export function auditReason(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let v: string;
  try {
    v = decodeURIComponent(raw).trim();
  } catch {
    throw new ApiError('VALIDATION_FAILED', 'X-Audit-Reason is not valid percent-encoded UTF-8', [
      { path: '/headers/x-audit-reason', message: 'not valid percent-encoding' },
    ]);
  }
  if (v.length > MAX_REASON_LENGTH) {
    throw new ApiError('VALIDATION_FAILED', `X-Audit-Reason is longer than ${MAX_REASON_LENGTH} characters`, [
      { path: '/headers/x-audit-reason', message: `at most ${MAX_REASON_LENGTH} characters` },
    ]);
  }
  return v === '' ? undefined : v;
}
