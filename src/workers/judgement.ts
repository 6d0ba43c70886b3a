/**
 * One record on its way through the gates: what the gates read (the record, its dataset, the
 * decoded payload, the writer schema) and what some of them leave for the evidence (who
 * produced it, PII findings). One object per record, filled in gate order; the gates' specs
 * (gates/spec.ts) take it as their only argument.
 */
import * as envelope from './gates/envelope.js';
import type { Identity } from './gates/identity.js';
import type { PiiFinding } from './gates/pii.js';
import type { ResolutionInput } from './gates/resolution.js';
import type { RawRecord } from './gates/types.js';
import type { CompiledDataset, CompiledSnapshot } from './pipeline.js';
import type { CompiledSchema } from './schemas.js';

const NO_KEYS: string[] = [];

export class RecordJudgement implements ResolutionInput {
  /** Glue SerDe header: parsed, a reason code string when malformed, null when absent. */
  readonly header: envelope.WireHeader | string | null;
  /** The parsed header when well-formed. */
  readonly wire: envelope.WireHeader | null;
  /** The writer schema the Glue header names, when the snapshot has it. */
  readonly wireWriter: CompiledSchema | undefined;
  /** For SCHEMA_ID resolution rules: the header's version id, and its schema id when known. */
  readonly schemaKeys: string[] = NO_KEYS;

  /** Set by RESOLUTION. */
  urn: string | null = null;
  ds: CompiledDataset | undefined = undefined;
  /** Set once the dataset is known (useDataset). */
  writer: CompiledSchema | undefined = undefined;
  /** Why the writer schema is missing (SCHEMA_NOT_FOUND / SCHEMA_REGISTRY_UNAVAILABLE), else null. */
  writerCode: string | null = null;
  decoded: envelope.Decoded | null = null;
  private decodedWith: CompiledSchema | undefined = undefined;

  /** Left by IDENTITY and PII for the evidence. */
  who: Identity | null = null;
  findings: PiiFinding[] | null = null;

  constructor(
    readonly snap: CompiledSnapshot,
    readonly rec: RawRecord,
  ) {
    const header = rec.value !== null ? envelope.readWireHeader(rec.value) : null;
    this.header = header;
    const wire = header !== null && typeof header === 'object' ? header : null;
    this.wire = wire;
    this.wireWriter = wire !== null ? snap.schemas.get(wire.versionId) : undefined;
    if (wire !== null)
      this.schemaKeys = this.wireWriter ? [wire.versionId, this.wireWriter.meta.schema_id] : [wire.versionId];
  }

  /** Decodes with `writer`, reusing an earlier decode when the data format is the same. */
  decode(writer: CompiledSchema | undefined): envelope.Decoded {
    const fmt = writer?.meta.data_format ?? 'JSON';
    if (this.decoded === null || (this.decodedWith?.meta.data_format ?? 'JSON') !== fmt) {
      this.decoded = envelope.decode(this.rec.value, this.header, writer, this.snap.limits);
      this.decodedWith = writer;
    }
    return this.decoded;
  }

  /** Resolution may need the payload before the writer schema is final (extraction rules). */
  payload(): unknown {
    const d = this.decode(this.wireWriter);
    return d.ok ? d.value : undefined;
  }

  /** The writer schema (the Glue header's version, else the dataset's registered one), decoded once. */
  useDataset(ds: CompiledDataset): envelope.Decoded {
    const wire = this.wire;
    this.writer = wire !== null ? this.wireWriter : ds.registered;
    this.writerCode =
      wire !== null
        ? this.wireWriter === undefined
          ? this.snap.unavailable.has(wire.versionId)
            ? 'SCHEMA_REGISTRY_UNAVAILABLE'
            : 'SCHEMA_NOT_FOUND'
          : null
        : ds.registeredCode;
    return this.decode(this.writer);
  }
}
