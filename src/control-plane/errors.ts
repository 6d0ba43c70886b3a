/**
 * Stable error codes of the control plane. Clients match on `code`, never on message text;
 * every code carries its HTTP status and is documented in docs/errors.md (a unit test checks).
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_REQUEST: 400,
  INVALID_CURSOR: 400,
  UNKNOWN_QUERY_PARAMETER: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  DATASET_NOT_FOUND: 404,
  CONTRACT_NOT_FOUND: 404,
  EVIDENCE_NOT_FOUND: 404,
  INCIDENT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONTRACT_IMMUTABLE: 409,
  RESOLUTION_CONFLICT: 409,
  IN_USE: 409,
  INCIDENT_RESOLVED: 409,
  PRECONDITION_FAILED: 412,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  ID_MISMATCH: 422,
  UNKNOWN_SCHEMA: 422,
  UNKNOWN_CONTRACT: 422,
  BLESSED_TOPIC_REQUIRED: 422,
  INVALID_RESOLUTION_RULE: 422,
  INVALID_OPS_TOGGLE: 422,
  INVALID_CONTRACT: 422,
  CONTRACT_DEPRECATED: 422,
  STORE_FAILURE: 500,
  INTERNAL: 500,
  SCHEMA_REGISTRY_UNAVAILABLE: 503,
  EVIDENCE_INDEX_DISABLED: 503,
  EVIDENCE_INDEX_UNAVAILABLE: 503,
  NOT_READY: 503,
  SIGNALS_DISABLED: 503,
  SIGNALS_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** Thrown by stores when a conditional write loses (stale version or a concurrent change). */
export class VersionConflictError extends Error {
  readonly code = 'VERSION_CONFLICT';
}

/** Thrown by stores when the backing service fails; surfaces as 500 STORE_FAILURE. */
export class StoreError extends Error {
  readonly code = 'STORE_FAILURE';
}
