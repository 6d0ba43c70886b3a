/**
 * Does a policy's schema_id exist in its registry: `glue:<schema>:<version>` in the Glue
 * registry (SF_GLUE_REGISTRY), `csr:<subject>:<version>` / `csr:id:<n>` in the
 * Confluent-compatible one (SF_SCHEMA_REGISTRY_URL)? Found versions are cached: registered
 * schema versions are immutable in both.
 */
import { EntityNotFoundException, GetSchemaVersionCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { ConfluentRegistryClient } from '../common/confluent-registry.js';
import { parseSchemaId, parseSchemaRef, type RegistryKind } from '../models/common.js';
import { ApiError } from './errors.js';

export interface SchemaRegistry {
  /** Throws SCHEMA_REGISTRY_UNAVAILABLE when the registry cannot answer. */
  exists(schemaId: string): Promise<boolean>;
}

export class GlueSchemaRegistry implements SchemaRegistry {
  private readonly known = new Set<string>();

  constructor(
    private readonly glue: GlueClient,
    private readonly registryName: string,
  ) {}

  async exists(schemaId: string): Promise<boolean> {
    if (this.known.has(schemaId)) return true;
    const id = parseSchemaId(schemaId);
    if (!id) return false;
    try {
      await this.glue.send(
        new GetSchemaVersionCommand({
          SchemaId: { RegistryName: this.registryName, SchemaName: id.name },
          SchemaVersionNumber: { VersionNumber: id.version },
        }),
      );
      this.known.add(schemaId);
      return true;
    } catch (err) {
      if (err instanceof EntityNotFoundException) return false;
      throw new ApiError(
        'SCHEMA_REGISTRY_UNAVAILABLE',
        `Glue registry ${this.registryName} did not answer (${(err as Error).name}): check AWS credentials and ` +
          'SF_AWS_ENDPOINT, or set SF_SCHEMA_CHECK=off on the control plane to accept schema ids unchecked',
        { cause: (err as Error).name, switch: 'SF_SCHEMA_CHECK' },
      );
    }
  }
}

export class ConfluentSchemaRegistry implements SchemaRegistry {
  private readonly known = new Set<string>();

  constructor(private readonly client: ConfluentRegistryClient) {}

  async exists(schemaId: string): Promise<boolean> {
    if (this.known.has(schemaId)) return true;
    const ref = parseSchemaRef(schemaId);
    if (ref === null || ref.registry !== 'csr') return false;
    let found: boolean;
    try {
      found = await this.client.exists(ref.id !== null ? { id: ref.id } : { subject: ref.name!, version: ref.version });
    } catch (err) {
      throw new ApiError(
        'SCHEMA_REGISTRY_UNAVAILABLE',
        `schema registry ${this.client.cfg.url} did not answer (${(err as Error).message}): check SF_SCHEMA_REGISTRY_URL ` +
          'and its credentials, or set SF_SCHEMA_CHECK=off on the control plane to accept schema ids unchecked',
        { cause: (err as Error).name, switch: 'SF_SCHEMA_CHECK' },
      );
    }
    if (found) this.known.add(schemaId);
    return found;
  }
}

/**
 * Sends each schema id to the registry it names. A registry with no checker (not configured,
 * or checks off) accepts its ids unchecked, as SF_SCHEMA_CHECK=off does for all of them.
 */
export class RoutedSchemaRegistry implements SchemaRegistry {
  constructor(private readonly byKind: Partial<Record<RegistryKind, SchemaRegistry>>) {}

  exists(schemaId: string): Promise<boolean> {
    const checker = this.byKind[schemaId.startsWith('csr:') ? 'csr' : 'glue'];
    return checker === undefined ? Promise.resolve(true) : checker.exists(schemaId);
  }
}

/** SF_SCHEMA_CHECK=off: accept every schema_id (no AWS at all). */
export const noSchemaCheck: SchemaRegistry = { exists: async () => true };
