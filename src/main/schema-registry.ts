/**
 * Glue Schema Registry client with an in-memory cache (design 7.3, 11): entries live for a
 * TTL (1-5 minutes), a failed refresh keeps the last-known-good copy, and an id that was
 * never fetched and cannot be fetched is reported unavailable (the SCHEMA gate turns that
 * into SCHEMA_REGISTRY_UNAVAILABLE).
 */
import { GetSchemaCommand, GetSchemaVersionCommand, type GlueClient } from '@aws-sdk/client-glue';
import { parseSchemaId } from '../models/common.js';
import type { CompatibilityMode } from '../models/policy.js';
import type { RegistrySchema } from '../workers/protocol.js';

interface Entry {
  schema: RegistrySchema;
  fetchedAt: number;
}

export type Lookup = { ok: true; schema: RegistrySchema; cached: boolean } | { ok: false; error: string };

export class SchemaRegistryCache {
  /** Keyed by schema_id (glue:name:v) and by version id (UUID): both point at the same entry. */
  private readonly entries = new Map<string, Entry>();
  private readonly compat = new Map<string, { mode: CompatibilityMode; fetchedAt: number }>();

  constructor(
    private readonly glue: GlueClient,
    private readonly registry: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns a schema by `glue:name:v` or by version UUID, fetching when missing or stale. */
  async get(id: string): Promise<Lookup> {
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.fetchedAt < this.ttlMs) return { ok: true, schema: entry.schema, cached: true };
    try {
      const schema = await this.fetch(id);
      const e = { schema, fetchedAt: this.now() };
      this.entries.set(schema.schema_id, e);
      this.entries.set(schema.version_id, e);
      return { ok: true, schema, cached: false };
    } catch (err) {
      // Last-known-good: a stale copy beats failing every record while the registry is down.
      if (entry) return { ok: true, schema: entry.schema, cached: true };
      return { ok: false, error: (err as { name?: string }).name ?? 'RegistryError' };
    }
  }

  /** Every cached schema (for the policy snapshot). */
  all(): RegistrySchema[] {
    return [...new Set([...this.entries.values()].map((e) => e.schema))];
  }

  private async compatibilityOf(name: string): Promise<CompatibilityMode> {
    const c = this.compat.get(name);
    if (c && this.now() - c.fetchedAt < this.ttlMs) return c.mode;
    const out = await this.glue.send(
      new GetSchemaCommand({ SchemaId: { RegistryName: this.registry, SchemaName: name } }),
    );
    const mode = (out.Compatibility ?? 'NONE') as CompatibilityMode;
    this.compat.set(name, { mode, fetchedAt: this.now() });
    return mode;
  }

  private async fetch(id: string): Promise<RegistrySchema> {
    const parsed = parseSchemaId(id);
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
