/**
 * A client of the Confluent Schema Registry REST API (Confluent, Apicurio's ccompat API,
 * Karapace, Redpanda): subjects, versions, global ids, references, compatibility config; basic
 * auth and TLS (a private CA, client certificates) through an undici Agent. Used by the enforcer
 * (src/main/schema-registry.ts) and by the control plane's existence check.
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { COMPATIBILITY_MODES, type CompatibilityMode } from '../models/policy.js';
import { ConfigError, env } from './config.js';

export interface ConfluentRegistryConfig {
  /** Base URL, e.g. https://registry:8081 or http://apicurio:8080/apis/ccompat/v7. */
  url: string;
  /** `user:password` (Confluent's basic.auth.user.info). */
  basicAuth: string | undefined;
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
  timeoutMs: number;
}

/** SF_SCHEMA_REGISTRY_* from the environment; undefined when no registry URL is set. */
export function confluentRegistryConfig(): ConfluentRegistryConfig | undefined {
  const url = process.env.SF_SCHEMA_REGISTRY_URL || undefined;
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`protocol ${u.protocol}`);
  } catch (err) {
    throw new ConfigError(`SF_SCHEMA_REGISTRY_URL must be an http(s) URL, got "${url}": ${(err as Error).message}`);
  }
  const basicAuth = process.env.SF_SCHEMA_REGISTRY_BASIC_AUTH || undefined;
  if (basicAuth !== undefined && !basicAuth.includes(':')) {
    throw new ConfigError('SF_SCHEMA_REGISTRY_BASIC_AUTH must be `user:password`');
  }
  const certFile = process.env.SF_SCHEMA_REGISTRY_CERT_FILE || undefined;
  const keyFile = process.env.SF_SCHEMA_REGISTRY_KEY_FILE || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('SF_SCHEMA_REGISTRY_CERT_FILE and SF_SCHEMA_REGISTRY_KEY_FILE go together');
  }
  return {
    url: url.replace(/\/+$/, ''),
    basicAuth,
    caFile: process.env.SF_SCHEMA_REGISTRY_CA_FILE || undefined,
    certFile,
    keyFile,
    timeoutMs: env.int('SF_SCHEMA_REGISTRY_TIMEOUT_MS', 2500, 100),
  };
}

/** A registry answer other than success; `status` 404 means "no such subject, version or id". */
export class RegistryHttpError extends Error {
  override readonly name = 'RegistryHttpError';
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.status === 404;
  }
}

export type ConfluentSchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

export interface SchemaReference {
  /** The name the schema imports it by (a .proto file name, an Avro full name, a JSON Schema URL). */
  name: string;
  subject: string;
  version: number;
}

/** One schema with its references' texts resolved (transitively, each once). */
export interface ConfluentSchema {
  id: number;
  /** Known when fetched by subject and version. */
  subject: string | null;
  version: number | null;
  schemaType: ConfluentSchemaType;
  schema: string;
  references: { name: string; definition: string }[];
}

interface RawSchema {
  id?: number;
  subject?: string;
  version?: number;
  schemaType?: string;
  schema: string;
  references?: SchemaReference[];
}

/** Bounds a reference graph (a registry could hold a cycle). */
const MAX_REFERENCES = 64;

export class ConfluentRegistryClient {
  private readonly dispatcher: Agent;
  private readonly auth: string | undefined;

  constructor(readonly cfg: ConfluentRegistryConfig) {
    const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
    this.dispatcher = new Agent({
      connect: { ca: read(cfg.caFile), cert: read(cfg.certFile), key: read(cfg.keyFile), timeout: cfg.timeoutMs },
      headersTimeout: cfg.timeoutMs,
      bodyTimeout: cfg.timeoutMs,
    });
    this.auth = cfg.basicAuth === undefined ? undefined : `Basic ${Buffer.from(cfg.basicAuth).toString('base64')}`;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async get<T>(path: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (this.auth !== undefined) headers.authorization = this.auth;
    const res = await fetch(`${this.cfg.url}${path}`, {
      headers,
      dispatcher: this.dispatcher,
      signal: AbortSignal.timeout(this.cfg.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) {
      let body: { error_code?: number; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {}
      throw new RegistryHttpError(res.status, body.error_code, `GET ${path}: ${res.status} ${body.message ?? text}`);
    }
    return JSON.parse(text) as T;
  }

  /** GET /subjects/{subject}/versions/{version}, references resolved. */
  async bySubjectVersion(subject: string, version: number): Promise<ConfluentSchema> {
    const raw = await this.get<RawSchema>(`/subjects/${encodeURIComponent(subject)}/versions/${version}`);
    return this.complete(raw, raw.id!, subject, raw.version ?? version);
  }

  /** GET /schemas/ids/{id}, references resolved (the subject is unknown: one id may serve many). */
  async byId(id: number): Promise<ConfluentSchema> {
    const raw = await this.get<RawSchema>(`/schemas/ids/${id}`);
    return this.complete(raw, id, null, null);
  }

  /** Whether a subject version or a global id exists (404 false; other failures throw). */
  async exists(ref: { subject: string; version: number } | { id: number }): Promise<boolean> {
    try {
      if ('id' in ref) await this.get(`/schemas/ids/${ref.id}`);
      else await this.get(`/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`);
      return true;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.notFound) return false;
      throw err;
    }
  }

  /**
   * The subject's compatibility level, else the global one. (Apicurio 3.0 reports NONE globally
   * even when its global rule enforces more: a policy's compatibility_mode overrides it.)
   */
  async compatibility(subject: string | null): Promise<CompatibilityMode> {
    if (subject !== null) {
      try {
        const c = await this.get<{ compatibilityLevel?: string }>(`/config/${encodeURIComponent(subject)}`);
        if (c.compatibilityLevel) return asMode(c.compatibilityLevel);
      } catch (err) {
        if (!(err instanceof RegistryHttpError && err.notFound)) throw err;
      }
    }
    const g = await this.get<{ compatibilityLevel?: string; compatibility?: string }>('/config');
    return asMode(g.compatibilityLevel ?? g.compatibility ?? 'NONE');
  }

  private async complete(
    raw: RawSchema,
    id: number,
    subject: string | null,
    version: number | null,
  ): Promise<ConfluentSchema> {
    const references: ConfluentSchema['references'] = [];
    await this.resolve(raw.references ?? [], references, new Set());
    return {
      id,
      subject,
      version,
      schemaType: (raw.schemaType ?? 'AVRO') as ConfluentSchemaType,
      schema: raw.schema,
      references,
    };
  }

  /** Depth first, so a reference's own references come before it (Avro named types need that order). */
  private async resolve(refs: SchemaReference[], out: ConfluentSchema['references'], seen: Set<string>): Promise<void> {
    for (const r of refs) {
      const key = `${r.subject}\u0000${r.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (seen.size > MAX_REFERENCES) throw new Error(`more than ${MAX_REFERENCES} schema references`);
      const raw = await this.get<RawSchema>(`/subjects/${encodeURIComponent(r.subject)}/versions/${r.version}`);
      await this.resolve(raw.references ?? [], out, seen);
      out.push({ name: r.name, definition: raw.schema });
    }
  }
}

/** Confluent's level names: `*_TRANSITIVE` is Glue's `*_ALL` (compare with every earlier version). */
function asMode(level: string): CompatibilityMode {
  const m = level.toUpperCase().replace(/_TRANSITIVE$/, '_ALL');
  return (COMPATIBILITY_MODES as readonly string[]).includes(m) ? (m as CompatibilityMode) : 'NONE';
}
