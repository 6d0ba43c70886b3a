/**
 * Writer schemas for the enforcer, from every configured registry, behind one cache (design
 * 7.3, 11): entries live for a TTL (1-5 minutes), a failed refresh keeps the last-known-good
 * copy, and an id that was never fetched and cannot be fetched is reported unavailable (the
 * SCHEMA gate turns that into SCHEMA_REGISTRY_UNAVAILABLE). The registry an id belongs to is
 * read from the id itself (models/common.ts): `csr:` ids go to the Confluent-compatible
 * registry, `glue:` ids and Glue version UUIDs to Glue. One source per registry below.
 */
import { GetSchemaCommand, GetSchemaVersionCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { ConfluentRegistryClient } from '../common/confluent-registry.js';
import { csrIdKey, parseSchemaRef, type RegistryKind } from '../models/common.js';
import type { CompatibilityMode } from '../models/policy.js';
import type { RegistrySchema } from '../workers/protocol.js';

/** One registry: fetches a schema by any id form it owns. Throws when it cannot. */
export interface SchemaSource {
  readonly kind: RegistryKind;
  fetch(id: string): Promise<RegistrySchema>;
}

/** Which registry an id (schema id, Glue version UUID or `csr:id:<n>`) belongs to. */
export const registryOf = (id: string): RegistryKind => (id.startsWith('csr:') ? 'csr' : 'glue');

interface Entry {
  schema: RegistrySchema;
  fetchedAt: number;
}

/** `notFound`: the registry answered that no such schema exists (not an outage: no circuit, SCHEMA_NOT_FOUND). */
export type Lookup =
  | { ok: true; schema: RegistrySchema; cached: boolean }
  | { ok: false; error: string; notFound: boolean };

/** A registry's "no such schema" (Glue's EntityNotFoundException, a Confluent 404). */
const isNotFound = (err: unknown): boolean =>
  (err as { name?: string }).name === 'EntityNotFoundException' || (err as { notFound?: boolean }).notFound === true;

export class SchemaRegistryCache {
  /** Keyed by schema_id and by version id (Glue UUID, `csr:id:<n>`): both point at the same entry. */
  private readonly entries = new Map<string, Entry>();
  private readonly sources = new Map<RegistryKind, SchemaSource>();

  constructor(
    sources: SchemaSource[],
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    for (const s of sources) this.sources.set(s.kind, s);
  }

  /** Returns a schema by any of its ids, fetching when missing or stale. */
  async get(id: string): Promise<Lookup> {
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.fetchedAt < this.ttlMs) return { ok: true, schema: entry.schema, cached: true };
    const source = this.sources.get(registryOf(id));
    if (source === undefined) {
      return {
        ok: false,
        error: `no ${registryOf(id) === 'csr' ? 'SF_SCHEMA_REGISTRY_URL' : 'Glue registry'} configured`,
        notFound: false,
      };
    }
    try {
      // A refresh asks by the richest id known (a subject version rather than a bare global id).
      const schema = await source.fetch(entry?.schema.schema_id ?? id);
      const e = { schema, fetchedAt: this.now() };
      this.entries.set(schema.schema_id, e);
      this.entries.set(schema.version_id, e);
      if (id !== schema.schema_id && id !== schema.version_id) this.entries.set(id, e);
      return { ok: true, schema, cached: false };
    } catch (err) {
      // Last-known-good: a stale copy beats failing every record while the registry is down.
      if (entry) return { ok: true, schema: entry.schema, cached: true };
      return { ok: false, error: (err as { name?: string }).name ?? 'RegistryError', notFound: isNotFound(err) };
    }
  }

  /** Every cached schema (for the policy snapshot). */
  all(): RegistrySchema[] {
    return [...new Set([...this.entries.values()].map((e) => e.schema))];
  }
}

/** A per-key value that lives for the TTL (compatibility settings). */
class TtlMap<V> {
  private readonly m = new Map<string, { v: V; at: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.m.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.v;
    const v = await load();
    this.m.set(key, { v, at: this.now() });
    return v;
  }
}

/** AWS Glue Schema Registry (SF_GLUE_REGISTRY): `glue:<name>:<v>` or a version UUID. */
export class GlueSource implements SchemaSource {
  readonly kind = 'glue' as const;
  private readonly compat: TtlMap<CompatibilityMode>;

  constructor(
    private readonly glue: GlueClient,
    private readonly registry: string,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.compat = new TtlMap(ttlMs, now);
  }

  private compatibilityOf(name: string): Promise<CompatibilityMode> {
    return this.compat.get(name, async () => {
      const out = await this.glue.send(
        new GetSchemaCommand({ SchemaId: { RegistryName: this.registry, SchemaName: name } }),
      );
      return (out.Compatibility ?? 'NONE') as CompatibilityMode;
    });
  }

  async fetch(id: string): Promise<RegistrySchema> {
    const ref = parseSchemaRef(id);
    const parsed = ref?.registry === 'glue' ? { name: ref.name!, version: ref.version } : null;
    const out = await this.glue.send(
      new GetSchemaVersionCommand(
        parsed
          ? {
              SchemaId: { RegistryName: this.registry, SchemaName: parsed.name },
              SchemaVersionNumber: { VersionNumber: parsed.version },
            }
          : { SchemaVersionId: id },
      ),
    );
    if (!out.SchemaVersionId || !out.SchemaDefinition || out.VersionNumber === undefined) {
      throw Object.assign(new Error(`incomplete schema version ${id}`), { name: 'RegistryError' });
    }
    // GetSchemaVersion by id does not return the schema name: SchemaArn ends with /<registry>/<name>.
    const name = parsed?.name ?? (out.SchemaArn ?? '').split('/').pop() ?? 'unknown';
    return {
      schema_id: `glue:${name}:${out.VersionNumber}`,
      version_id: out.SchemaVersionId,
      schema_name: name,
      version_number: out.VersionNumber,
      data_format: (out.DataFormat ?? 'JSON') as RegistrySchema['data_format'],
      definition: out.SchemaDefinition,
      compatibility: await this.compatibilityOf(name),
    };
  }
}

/**
 * A Confluent-compatible registry (SF_SCHEMA_REGISTRY_URL): `csr:<subject>:<v>` or `csr:id:<n>`.
 * The version id is `csr:id:<global id>`, the key a Confluent-framed record carries. A schema
 * known only by its id has no subject: its schema_name is the id itself (COMPATIBILITY then
 * treats it as the newer side, like a schema of another name).
 */
export class ConfluentSource implements SchemaSource {
  readonly kind = 'csr' as const;
  private readonly compat: TtlMap<CompatibilityMode>;

  constructor(
    private readonly client: ConfluentRegistryClient,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.compat = new TtlMap(ttlMs, now);
  }

  async fetch(id: string): Promise<RegistrySchema> {
    const ref = parseSchemaRef(id);
    if (ref === null || ref.registry !== 'csr') {
      throw Object.assign(new Error(`not a Confluent schema id: ${id}`), { name: 'RegistryError' });
    }
    const s =
      ref.id !== null ? await this.client.byId(ref.id) : await this.client.bySubjectVersion(ref.name!, ref.version);
    const key = csrIdKey(s.id);
    const subject = s.subject;
    return {
      schema_id: subject !== null ? `csr:${subject}:${s.version}` : key,
      version_id: key,
      schema_name: subject !== null ? `csr:${subject}` : key,
      version_number: s.version ?? 0,
      data_format: s.schemaType,
      definition: s.schema,
      references: s.references.length ? s.references : undefined,
      compatibility: await this.compat.get(subject ?? '', () => this.client.compatibility(subject)),
    };
  }
}
