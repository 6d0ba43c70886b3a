/**
 * COMPATIBILITY: the record's writer schema version against the dataset's registered schema
 * (policy.schema_id) under the Glue/Confluent modes (the same names in both). The later version (by version number) is "new":
 * BACKWARD = new reads old, FORWARD = old reads new, FULL = both; the _ALL modes compare the
 * new version with every earlier version of the same schema present in the snapshot. Verdicts
 * are memoised on the writer's compiled schema per (reader, mode), so a record pays one lookup.
 */
import type { CompatibilityMode } from '../../models/policy.js';
import { protobufIncompatibilities } from '../protobuf.js';
import type { CompiledSchema } from '../schemas.js';
import { readerAcceptsWriter } from './json-compat.js';
import type { GateSpec } from './spec.js';
import { pushCode, type ReasonCodeTable } from './types.js';

export const GATE = 'COMPATIBILITY' as const;

export const REASON_CODES: ReasonCodeTable = {
  BACKWARD_INCOMPATIBLE:
    'BACKWARD_INCOMPATIBLE[:<path>]: the newer schema version cannot read data written with an older one (path: where, for JSON Schema and Protobuf).',
  FORWARD_INCOMPATIBLE:
    'FORWARD_INCOMPATIBLE[:<path>]: an older schema version cannot read data written with the newer one.',
  DATA_FORMAT_CHANGED: 'The writer and the registered schema have different data formats (e.g. JSON vs AVRO).',
  REGISTERED_SCHEMA_UNAVAILABLE:
    "The dataset's registered schema (policy.schema_id) is unknown or unavailable, so nothing to compare with.",
  TOO_MANY_ERRORS: 'More incompatibilities than the per-gate cap (32); the rest are omitted.',
};

export interface CompatContext {
  /** All compiled schemas by version id / schema id. */
  schemas: Map<string, CompiledSchema>;
  /** Per schema name, its versions sorted by version number. */
  versionsByName: Map<string, CompiledSchema[]>;
}

export function buildContext(schemas: Map<string, CompiledSchema>): CompatContext {
  const versionsByName = new Map<string, CompiledSchema[]>();
  for (const c of new Set(schemas.values())) {
    const list = versionsByName.get(c.meta.schema_name) ?? [];
    list.push(c);
    versionsByName.set(c.meta.schema_name, list);
  }
  for (const list of versionsByName.values()) list.sort((a, b) => a.meta.version_number - b.meta.version_number);
  return { schemas, versionsByName };
}

/** Reason codes or null; `registered` undefined means the policy's schema could not be found. */
export function evaluate(
  ctx: CompatContext,
  writer: CompiledSchema,
  registered: CompiledSchema | undefined,
  policyMode: CompatibilityMode | undefined,
): string[] | null {
  if (registered === undefined) return ['REGISTERED_SCHEMA_UNAVAILABLE'];
  if (writer === registered) return null;
  const mode = policyMode ?? registered.meta.compatibility;
  if (mode === 'NONE' || mode === 'DISABLED') return null;
  const key = `${registered.meta.version_id}\u0000${mode}`;
  let hit = writer.compat.get(key);
  if (hit === undefined) {
    hit = compute(ctx, writer, registered, mode);
    writer.compat.set(key, hit);
  }
  return hit;
}

function compute(
  ctx: CompatContext,
  writer: CompiledSchema,
  registered: CompiledSchema,
  mode: CompatibilityMode,
): string[] | null {
  if (writer.meta.data_format !== registered.meta.data_format) return ['DATA_FORMAT_CHANGED'];
  const sameLine = writer.meta.schema_name === registered.meta.schema_name;
  const writerIsNew = !sameLine || writer.meta.version_number >= registered.meta.version_number;
  const newer = writerIsNew ? writer : registered;
  const older = writerIsNew ? registered : writer;
  let olds = [older];
  if (mode.endsWith('_ALL') && sameLine) {
    olds = (ctx.versionsByName.get(newer.meta.schema_name) ?? []).filter(
      (c) => c.meta.version_number < newer.meta.version_number,
    );
  }
  const out: string[] = [];
  const backward = mode.startsWith('BACKWARD') || mode.startsWith('FULL');
  const forward = mode.startsWith('FORWARD') || mode.startsWith('FULL');
  for (const old of olds) {
    if (backward) pair(newer, old, 'BACKWARD_INCOMPATIBLE', out);
    if (forward) pair(old, newer, 'FORWARD_INCOMPATIBLE', out);
  }
  return out.length ? out : null;
}

/** Can `reader` read what `writer` wrote? */
function pair(reader: CompiledSchema, writer: CompiledSchema, code: string, out: string[]): void {
  if (reader.avro && writer.avro) {
    try {
      reader.avro.createResolver(writer.avro);
    } catch {
      pushCode(out, code);
    }
    return;
  }
  if (reader.protobuf && writer.protobuf) {
    for (const p of protobufIncompatibilities(reader.protobuf, writer.protobuf)) pushCode(out, `${code}:${p}`);
    return;
  }
  if (reader.json && writer.json) {
    for (const p of readerAcceptsWriter(reader.json, writer.json)) pushCode(out, p === '' ? code : `${code}:${p}`);
    return;
  }
  pushCode(out, code); // a definition that does not compile cannot be shown compatible
}

/** Only a record whose wire header (Glue or Confluent) names its writer version is compared with the registered schema. */
export const spec: GateSpec = {
  name: GATE,
  reasonCodes: REASON_CODES,
  run(j) {
    const ds = j.ds!;
    if (j.wire === null || j.writer === undefined || ds.policy.schema_id === undefined) return null;
    return evaluate(j.snap.compat, j.writer, ds.registered, ds.policy.compatibility_mode);
  },
};
