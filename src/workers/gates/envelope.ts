/**
 * ENVELOPE: turns raw value bytes into a value the later gates can inspect. Plain JSON; the
 * Glue SerDe wire format (byte 0 = 3, byte 1 = compression 0 none / 5 zlib, bytes 2..17 =
 * schema version UUID, then the payload); Confluent framing (byte 0 = 0, bytes 1..4 = the
 * registry's global schema id, big-endian, then the payload; for Protobuf the payload starts
 * with the message-index list, protobuf.ts). The payload is JSON, Avro binary or Protobuf per
 * the writer schema.
 */
import { inflateSync } from 'node:zlib';
import { csrIdKey } from '../../models/common.js';
import { decodeProtobuf } from '../protobuf.js';
import type { CompiledSchema } from '../schemas.js';
import type { GateSpec } from './spec.js';
import type { ReasonCodeTable } from './types.js';

export const GATE = 'ENVELOPE' as const;

export const REASON_CODES: ReasonCodeTable = {
  TOMBSTONE: 'The record value is null (a Kafka tombstone); there is no payload to validate.',
  EMPTY_PAYLOAD: 'The record value (after the wire-format header, if any) has zero bytes.',
  PAYLOAD_TOO_LARGE: 'The value, or its decompressed payload, exceeds the configured byte cap.',
  UNKNOWN_WIRE_FORMAT:
    'The value starts with a binary marker other than JSON, the Glue header (3) or the Confluent magic byte (0).',
  TRUNCATED_FRAME:
    'The value is shorter than its wire-format header: under 5 bytes with the Confluent magic byte 0, under 18 with the Glue header byte 3.',
  UNSUPPORTED_COMPRESSION: 'A Glue wire-format header names a compression other than 0 (none) or 5 (zlib).',
  DECOMPRESSION_FAILED: 'The zlib-compressed Glue payload could not be inflated.',
  INVALID_UTF8: 'A JSON payload is not valid UTF-8.',
  NESTING_TOO_DEEP: 'A JSON payload nests objects/arrays deeper than the configured limit (checked before parsing).',
  INVALID_JSON: 'A JSON payload does not parse.',
  AVRO_DECODE_FAILED:
    'An Avro binary payload does not decode with its writer schema (truncated, trailing bytes, bad union index).',
  PROTOBUF_MESSAGE_INDEX_INVALID:
    "A Confluent-framed Protobuf payload's message-index list is truncated, too long, or names no message of the writer schema.",
  PROTOBUF_DECODE_FAILED: 'A Protobuf payload does not decode with its writer message type (truncated, bad wire type).',
};

export interface EnvelopeLimits {
  maxPayloadBytes: number;
  maxDepth: number;
}

export const DEFAULT_LIMITS: EnvelopeLimits = { maxPayloadBytes: 1_048_576, maxDepth: 64 };

/** The wire-format header, read before resolution (SCHEMA_ID rules need the writer's id). */
export interface WireHeader {
  /** Glue: schema version UUID, lower-case with dashes. Confluent: `csr:id:<global id>`. */
  versionId: string;
  /** Glue's compression byte; 0 for Confluent framing. */
  compression: number;
  payload: Uint8Array;
  /** Confluent framing: a Protobuf payload starts with its message-index list. */
  confluent: boolean;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Reads the Glue header (byte 0 is 3) or the Confluent one (byte 0 is 0); returns a reason code
 * when the header is unusable, null when plain (JSON text cannot start with either byte).
 */
export function readWireHeader(value: Uint8Array): WireHeader | string | null {
  if (value.length === 0) return null;
  const b0 = value[0];
  if (b0 === 0) {
    if (value.length < 5) return 'TRUNCATED_FRAME';
    const id = ((value[1] << 24) >>> 0) + (value[2] << 16) + (value[3] << 8) + value[4];
    return { versionId: csrIdKey(id), compression: 0, payload: value.subarray(5), confluent: true };
  }
  if (b0 !== 3) return b0 < 0x09 || (b0 > 0x0d && b0 < 0x20) ? 'UNKNOWN_WIRE_FORMAT' : null;
  if (value.length < 18) return 'TRUNCATED_FRAME';
  let id = '';
  for (let i = 2; i < 18; i++) {
    id += HEX[value[i]];
    if (i === 5 || i === 7 || i === 9 || i === 11) id += '-';
  }
  return { versionId: id, compression: value[1], payload: value.subarray(18), confluent: false };
}

/**
 * Deepest `[`/`{` nesting of a JSON text, stopping once past `limit`; strings are skipped so
 * brackets inside them do not count. One linear pass over bytes, before any parse.
 */
export function jsonDepthExceeds(bytes: Uint8Array, limit: number): boolean {
  if (bytes.length <= limit * 2) return false; // cannot nest deeper than half its length
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const k = BYTE_CLASS[bytes[i]];
    if (k === 0) continue; // most bytes: one table load and one branch
    if (inString) {
      if (k === ESC) i++;
      else if (k === QUOTE) inString = false;
    } else if (k === QUOTE) inString = true;
    else if (k === OPEN) {
      if (++depth > limit) return true;
    } else if (k === CLOSE) depth--;
  }
  return false;
}

/**
 * The same check on the decoded text (structural characters are ASCII, so UTF-16 code units
 * and UTF-8 bytes agree on them). Nesting deeper than `limit` needs more than `limit` opening
 * brackets, so a count by the native `indexOf` (stopping at limit + 1) clears typical records
 * without the per-character scan; only texts with many brackets pay the full linear scan.
 */
export function jsonTextDepthExceeds(text: string, limit: number): boolean {
  if (text.length <= limit * 2) return false;
  let opens = 0;
  for (let i = text.indexOf('{'); i >= 0 && opens <= limit; i = text.indexOf('{', i + 1)) opens++;
  for (let i = text.indexOf('['); i >= 0 && opens <= limit; i = text.indexOf('[', i + 1)) opens++;
  if (opens <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7d) continue;
    const k = BYTE_CLASS[c];
    if (k === 0) continue;
    if (inString) {
      if (k === ESC) i++;
      else if (k === QUOTE) inString = false;
    } else if (k === QUOTE) inString = true;
    else if (k === OPEN) {
      if (++depth > limit) return true;
    } else if (k === CLOSE) depth--;
  }
  return false;
}

const QUOTE = 1;
const ESC = 2;
const OPEN = 3;
const CLOSE = 4;
const BYTE_CLASS = new Uint8Array(256);
BYTE_CLASS[0x22] = QUOTE;
BYTE_CLASS[0x5c] = ESC;
BYTE_CLASS[0x7b] = OPEN;
BYTE_CLASS[0x5b] = OPEN;
BYTE_CLASS[0x7d] = CLOSE;
BYTE_CLASS[0x5d] = CLOSE;

export interface Decoded {
  ok: boolean;
  /** The parsed value when ok. */
  value: unknown;
  /** The reason code when not ok. */
  code: string | null;
  /** Decoded from binary (Avro by avsc, Protobuf by protobufjs): conformance to the writer schema is already proven. */
  binary: boolean;
  /**
   * Plain objects and arrays only (JSON.parse, protobufjs toObject), so walks may use for-in;
   * decoded Avro records carry enumerable prototype methods.
   */
  plain: boolean;
}

const fail = (code: string): Decoded => ({ ok: false, value: undefined, code, binary: false, plain: false });

/**
 * Decodes a value. `writer` is the writer schema when known (from the Glue header, or the
 * dataset's registered schema for plain records); unknown writers are read as JSON.
 */
export function decode(
  value: Uint8Array | null,
  header: WireHeader | string | null,
  writer: CompiledSchema | undefined,
  limits: EnvelopeLimits,
): Decoded {
  if (value === null) return fail('TOMBSTONE');
  if (value.length === 0) return fail('EMPTY_PAYLOAD');
  if (value.length > limits.maxPayloadBytes) return fail('PAYLOAD_TOO_LARGE');
  if (typeof header === 'string') return fail(header);
  let payload = value;
  if (header !== null) {
    payload = header.payload;
    if (header.compression === 5) {
      try {
        payload = inflateSync(payload, { maxOutputLength: limits.maxPayloadBytes });
      } catch (err) {
        return fail(
          (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'DECOMPRESSION_FAILED',
        );
      }
    } else if (header.compression !== 0) return fail('UNSUPPORTED_COMPRESSION');
    if (payload.length === 0) return fail('EMPTY_PAYLOAD');
  }
  const format = writer?.meta.data_format ?? 'JSON';
  if (format === 'AVRO' && writer?.avro) {
    // Plain (headerless) records of an Avro dataset may still be JSON text: read those as JSON.
    if (header !== null || (payload[0] !== 0x7b && payload[0] !== 0x5b)) {
      try {
        const value = writer.avro.fromBuffer(Buffer.from(payload.buffer, payload.byteOffset, payload.length));
        return { ok: true, value, code: null, binary: true, plain: false };
      } catch {
        return fail('AVRO_DECODE_FAILED');
      }
    }
  } else if (format === 'PROTOBUF' && writer?.protobuf) {
    // Plain records of a Protobuf dataset may be JSON text (checked against the first message).
    if (header !== null || (payload[0] !== 0x7b && payload[0] !== 0x5b)) {
      const r = decodeProtobuf(writer.protobuf, payload, header?.confluent === true);
      return r.ok ? { ok: true, value: r.value, code: null, binary: true, plain: true } : fail(r.code);
    }
  }
  return decodeJson(payload, limits);
}

/**
 * One native pass validates and decodes UTF-8 (fatal: invalid bytes throw, as isUtf8 would
 * reject them; ignoreBOM: a BOM stays in the text, so it fails JSON.parse as before).
 */
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeJson(bytes: Uint8Array, limits: EnvelopeLimits): Decoded {
  let text: string;
  try {
    text = UTF8_FATAL.decode(bytes);
  } catch {
    return fail('INVALID_UTF8');
  }
  if (jsonTextDepthExceeds(text, limits.maxDepth)) return fail('NESTING_TOO_DEEP');
  try {
    return { ok: true, value: JSON.parse(text), code: null, binary: false, plain: true };
  } catch {
    return fail('INVALID_JSON');
  }
}

/** The payload was decoded once, with the writer schema, before the gates ran (judgement.ts). */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    const d = j.decoded!;
    return d.ok ? null : [d.code!];
  },
};
