/**
 * SCHEMA: the decoded payload against its writer schema. JSON Schema via the engine compiled
 * once per schema version (json-schema.ts; all errors only after the first-failure check
 * failed: it is the slow path); Avro via avsc and Protobuf via protobufjs (a successful binary
 * decode is already a validation; JSON text of such a dataset is checked with isValid /
 * verify). Field problems use the CONTRACT vocabulary.
 */
import { verifyJson } from '../protobuf.js';
import type { CompiledSchema } from '../schemas.js';
import { childPath, pointerToPath } from './paths.js';
import type { GateSpec } from './spec.js';
import { pushCode, type ReasonCodeTable } from './types.js';

export const GATE = 'SCHEMA' as const;

export const REASON_CODES: ReasonCodeTable = {
  SCHEMA_REGISTRY_UNAVAILABLE: 'The writer schema could not be fetched from the registry and no cached copy exists.',
  SCHEMA_NOT_FOUND:
    'The writer schema (the Glue version id or Confluent schema id from the header, or the policy schema_id) is unknown.',
  SCHEMA_DEFINITION_INVALID: 'The writer schema definition does not parse or compile.',
  UNRESOLVED_REF:
    'The JSON Schema has a $ref that resolves to nothing (in the document or another registry schema by $id).',
  UNSUPPORTED_DATA_FORMAT: 'The writer schema names a data format other than JSON, AVRO or PROTOBUF.',
  MISSING_FIELD: 'MISSING_FIELD:<path>: a required property is absent.',
  TYPE_MISMATCH: 'TYPE_MISMATCH:<path>: the value has the wrong JSON (or Avro) type.',
  NOT_IN_ENUM: 'NOT_IN_ENUM:<path>: the value is not one of enum/const.',
  OUT_OF_RANGE: 'OUT_OF_RANGE:<path>: a number violates minimum/maximum/exclusive bounds or multipleOf.',
  PATTERN_MISMATCH: 'PATTERN_MISMATCH:<path>: a string does not match the schema pattern.',
  LENGTH_OUT_OF_RANGE: 'LENGTH_OUT_OF_RANGE:<path>: string length, array item count or property count out of bounds.',
  FORMAT_MISMATCH: 'FORMAT_MISMATCH:<path>: a string does not match its format (date-time, email, uuid, ...).',
  UNEXPECTED_FIELD: 'UNEXPECTED_FIELD:<path>: a property the schema forbids (additionalProperties: false).',
  DUPLICATE_ITEMS: 'DUPLICATE_ITEMS:<path>: uniqueItems violated.',
  SCHEMA_MISMATCH:
    'SCHEMA_MISMATCH:<path>: another keyword failed (anyOf, oneOf, not, if/then, contains, dependencies, ...).',
  TOO_MANY_ERRORS: 'More field problems than the per-gate cap (32); the rest are omitted.',
};

const KEYWORD_CODE: Record<string, string> = {
  type: 'TYPE_MISMATCH',
  enum: 'NOT_IN_ENUM',
  const: 'NOT_IN_ENUM',
  minimum: 'OUT_OF_RANGE',
  maximum: 'OUT_OF_RANGE',
  exclusiveMinimum: 'OUT_OF_RANGE',
  exclusiveMaximum: 'OUT_OF_RANGE',
  multipleOf: 'OUT_OF_RANGE',
  pattern: 'PATTERN_MISMATCH',
  minLength: 'LENGTH_OUT_OF_RANGE',
  maxLength: 'LENGTH_OUT_OF_RANGE',
  minItems: 'LENGTH_OUT_OF_RANGE',
  maxItems: 'LENGTH_OUT_OF_RANGE',
  minProperties: 'LENGTH_OUT_OF_RANGE',
  maxProperties: 'LENGTH_OUT_OF_RANGE',
  format: 'FORMAT_MISMATCH',
  uniqueItems: 'DUPLICATE_ITEMS',
};

/** Keywords about named properties: the code names each property (`MISSING_FIELD:<path>.<name>`). */
const FIELD_KEYWORD_CODE: Record<string, string> = {
  required: 'MISSING_FIELD',
  additionalProperties: 'UNEXPECTED_FIELD',
  unevaluatedProperties: 'UNEXPECTED_FIELD',
};

/**
 * Errors inside a combinator's branches (or a propertyNames/contains subschema) are noise: the
 * combinator's own error, whose schema path ends at the keyword, names the path.
 */
const BRANCH = /\/(anyOf|oneOf|not|if|then|else|propertyNames|contains)\//;

/**
 * Validates `value` (already decoded) against `writer`. `binary` means avsc or protobufjs
 * decoded it from binary with the writer schema, which proves conformance. Returns reason codes or null.
 */
export function evaluate(writer: CompiledSchema, value: unknown, binary: boolean): string[] | null {
  if (writer.error !== undefined) return [writer.error];
  if (writer.validator) {
    if (writer.validator.check(value)) return null;
    return jsonSchemaCodes(writer, value);
  }
  if (writer.protobuf) return binary ? null : verifyJson(writer.protobuf, value);
  const binaryAvro = binary;
  if (writer.avro) {
    if (binaryAvro) return null;
    const out: string[] = [];
    writer.avro.isValid(value, {
      errorHook: (path: string[], v: unknown) => {
        pushCode(
          out,
          `${v === undefined ? 'MISSING_FIELD' : 'TYPE_MISMATCH'}${path.length ? `:${path.join('.')}` : ''}`,
        );
      },
    });
    return out.length ? out : null;
  }
  return ['UNSUPPORTED_DATA_FORMAT'];
}

function jsonSchemaCodes(writer: CompiledSchema, value: unknown): string[] {
  const out: string[] = [];
  const errors = writer.validator!.errors(value);
  for (const e of errors) {
    if (BRANCH.test(e.schemaPath) || e.keyword === 'unevaluatedProperties') continue;
    const at = pointerToPath(e.instancePath, value);
    const fieldCode = FIELD_KEYWORD_CODE[e.keyword];
    if (fieldCode !== undefined && e.props.length > 0)
      for (const p of e.props) pushCode(out, `${fieldCode}:${childPath(at, p)}`);
    else if (fieldCode !== undefined && at !== '') pushCode(out, `${fieldCode}:${at}`);
    else {
      const code = KEYWORD_CODE[e.keyword] ?? 'SCHEMA_MISMATCH';
      pushCode(out, at === '' ? code : `${code}:${at}`);
    }
  }
  // When anything inside an object failed, the engines count even valid properties of it as
  // unevaluated (a failed subschema drops its annotations): name the real problems only.
  const failed = out.length > 0;
  for (const e of errors) {
    if (e.keyword !== 'unevaluatedProperties' || BRANCH.test(e.schemaPath)) continue;
    const at = pointerToPath(e.instancePath, value);
    if (failed && (at === '' || out.some((c) => c.includes(`:${at}`)))) continue;
    for (const p of e.props) pushCode(out, `UNEXPECTED_FIELD:${childPath(at, p)}`);
  }
  return out.length ? out : ['SCHEMA_MISMATCH'];
}

/** A missing writer schema fails the gate; an undecodable payload is ENVELOPE's failure. */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    if (j.writerCode !== null) return [j.writerCode];
    const d = j.decoded!;
    return j.writer !== undefined && d.ok ? evaluate(j.writer, d.value, d.binary) : null;
  },
};
