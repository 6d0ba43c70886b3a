/**
 * Does a policy's schema_id (`glue:<schema>:<version>`) exist in the Glue registry
 * (SF_GLUE_REGISTRY)? Found versions are cached: Glue schema versions are immutable.
 */
import { EntityNotFoundException, GetSchemaVersionCommand, type GlueClient } from '@aws-sdk/client-glue';
import { parseSchemaId } from '../models/common.js';
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

/** SF_SCHEMA_CHECK=off: accept every schema_id (no AWS at all). */
export const noSchemaCheck: SchemaRegistry = { exists: async () => true };
