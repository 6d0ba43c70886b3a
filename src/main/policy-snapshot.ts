/**
 * The enforcer's view of the control plane: polls the change feed (GET /v1/snapshot with
 * If-None-Match, so an unchanged poll costs one 304), merges in the Glue schemas the
 * policies and records reference, and publishes the result to workers as one immutable,
 * versioned SharedArrayBuffer. Failures keep the last-known-good snapshot (design 11).
 */

import { fetchSnapshot } from '../common/control-plane-api.js';
import { mintDevToken } from '../common/dev-token.js';
import type { Logger } from '../common/logger.js';
import { parseSchemaRef, type RegistryKind } from '../models/common.js';
import type { PolicySnapshot } from '../workers/protocol.js';
import type { EnforcerMetrics } from './metrics.js';
import { registryOf, type SchemaRegistryCache } from './schema-registry.js';

type ControlPlaneSnapshot = Pick<PolicySnapshot, 'policies' | 'resolution' | 'contracts' | 'ops'> & { version: number };

const EMPTY: ControlPlaneSnapshot = {
  version: 0,
  policies: [],
  resolution: [],
  contracts: [],
  ops: { global: { safe_mode: false }, datasets: {} },
};

/** Earlier versions fetched for the *_ALL compatibility modes (bounded). */
const MAX_HISTORY = 50;

export class PolicySnapshots {
  private cp: ControlPlaneSnapshot = EMPTY;
  private etag: string | undefined;
  private haveControlPlane = false;
  private lastConfirmedAt = 0;
  /** Schema ids that could not be fetched, with when they were last tried. */
  private readonly unavailable = new Map<string, number>();
  /** Schema ids the registry says do not exist, with when they were last asked (retried like the others). */
  private readonly missing = new Map<string, number>();
  private readonly known = new Set<string>();
  /** Per registry: no asking it again before this time after a failure (the retry circuit). */
  private readonly registryDownUntil = new Map<RegistryKind, number>();
  private version = 0;
  private current: { version: number; buffer: SharedArrayBuffer } | undefined;
  private dirty = true;
  private token: string | undefined;
  degraded: string | null = null;

  constructor(
    private readonly opts: {
      controlPlaneUrl: string;
      token: string | undefined;
      identityKeys: Record<string, string>;
      registry: SchemaRegistryCache;
      /** How long a failed schema id waits before a batch asks the registry again. */
      schemaRetryMs: number;
      metrics: EnforcerMetrics;
      log: Logger;
    },
  ) {
    this.token = opts.token;
  }

  /** True once a snapshot was loaded from the control plane (readiness). */
  get loaded(): boolean {
    return this.haveControlPlane;
  }

  get ageSeconds(): number {
    return this.lastConfirmedAt === 0 ? Number.POSITIVE_INFINITY : (Date.now() - this.lastConfirmedAt) / 1000;
  }

  private async bearer(): Promise<string | undefined> {
    if (this.token) return this.token;
    const secret = process.env.SF_AUTH_JWT_SECRET;
    if (!secret) return undefined;
    // Development: mint a read-only service token with the shared HS256 secret.
    this.token = await mintDevToken(secret, { sub: 'signal-factory-enforcer', teams: [], roles: ['service'] });
    return this.token;
  }

  /** The poll in progress: polls never overlap, and close() waits for the last one. */
  private inflight: Promise<void> | undefined;
  private closed = false;

  /** One poll of the change feed; never throws. A call during a poll joins that poll. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.inflight ??= this.poll().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** No more polls; resolves when the one in progress (bounded by its HTTP timeout) is over. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inflight;
  }

  private async poll(): Promise<void> {
    try {
      const token = await this.bearer();
      const res = await fetchSnapshot(this.opts.controlPlaneUrl, token, this.etag);
      if (res.status === 304) {
        this.opts.metrics.cacheLookup(true);
      } else {
        this.cp = res.body;
        this.opts.metrics.setDatasets(this.cp.policies);
        this.etag = res.etag;
        this.haveControlPlane = true;
        this.dirty = true;
        this.opts.metrics.cacheLookup(false);
        this.opts.log.info(
          { snapshot_version: this.cp.version, policies: this.cp.policies.length },
          'policy snapshot loaded',
        );
      }
      this.lastConfirmedAt = Date.now();
      this.degraded = null;
    } catch (err) {
      // Last-known-good: keep enforcing with what we have.
      this.degraded = `control plane unreachable: ${(err as Error).message}`;
      this.opts.log.warn({ err: (err as Error).message }, 'policy refresh failed; keeping last-known-good snapshot');
    }
    await this.ensureSchemas(this.policySchemaIds());
    this.opts.metrics.snapshotAge.set(Number.isFinite(this.ageSeconds) ? this.ageSeconds : -1);
  }

  private policySchemaIds(): string[] {
    const ids: string[] = [];
    for (const p of this.cp.policies) {
      if (!p.schema_id) continue;
      ids.push(p.schema_id);
      const mode = p.compatibility_mode;
      const parsed = parseSchemaRef(p.schema_id);
      // *_ALL modes compare against every earlier version: fetch them too (bounded).
      if (parsed?.name && mode?.endsWith('_ALL')) {
        for (let v = Math.max(1, parsed.version - MAX_HISTORY); v < parsed.version; v++) {
          ids.push(`${parsed.registry}:${parsed.name}:${v}`);
        }
      }
    }
    return ids;
  }

  /**
   * Makes sure the given schema ids / version ids are cached, or marked unavailable. After a
   * registry failure that registry is not asked again for `schemaRetryMs` (a circuit per
   * registry: Glue and the Confluent-compatible one fail independently), so an outage costs the
   * consume loop one timeout per interval, not one per batch. `maxLookups` bounds the registry
   * requests of one call: a batch of records framed with many distinct unknown ids (garbage
   * after a 0 byte reads as a Confluent id) must not stall the consume loop on one lookup per
   * record; the ids over the budget are unavailable for this batch and asked for later.
   */
  async ensureSchemas(ids: Iterable<string>, maxLookups = Number.POSITIVE_INFINITY): Promise<void> {
    let lookups = 0;
    for (const id of ids) {
      const kind = registryOf(id);
      if (Date.now() < (this.registryDownUntil.get(kind) ?? 0) && !this.known.has(id)) {
        this.markUnavailable(id, 'circuit open');
        continue;
      }
      if (!this.known.has(id) && ++lookups > maxLookups) {
        this.markUnavailable(id, 'lookup budget of the batch spent');
        continue;
      }
      const r = await this.opts.registry.get(id);
      this.opts.metrics.cacheLookup(r.ok && r.cached);
      if (r.ok) {
        this.missing.delete(id);
        if (!this.known.has(id)) {
          this.known.add(id);
          this.known.add(r.schema.version_id);
          this.dirty = true;
        }
        if (!r.cached || this.unavailable.delete(id)) this.dirty = true;
      } else if (r.notFound) {
        // An answer, not an outage: the record gets SCHEMA_NOT_FOUND and the registry stays open.
        if (this.unavailable.delete(id)) this.dirty = true;
        this.missing.set(id, Date.now());
      } else {
        this.registryDownUntil.set(kind, Date.now() + this.opts.schemaRetryMs);
        this.markUnavailable(id, r.error);
      }
    }
  }

  private markUnavailable(id: string, reason: string): void {
    if (!this.unavailable.has(id)) {
      this.dirty = true;
      this.opts.log.warn({ schema: id, err: reason }, 'schema registry unavailable and nothing cached');
    }
    this.unavailable.set(id, Date.now());
  }

  /**
   * True when a batch need not ask the registry for this id: it is cached, or it failed
   * recently (retried after the retry interval, so recovery needs no restart).
   */
  isKnownSchema(id: string): boolean {
    if (this.known.has(id)) return true;
    const failedAt = this.unavailable.get(id) ?? this.missing.get(id);
    return failedAt !== undefined && Date.now() - failedAt < this.opts.schemaRetryMs;
  }

  /** The current snapshot as a SharedArrayBuffer; rebuilt only when something changed. */
  snapshot(): { version: number; buffer: SharedArrayBuffer } {
    if (this.dirty || !this.current) {
      this.version++;
      const snap: PolicySnapshot = {
        version: this.version,
        policies: this.cp.policies,
        resolution: this.cp.resolution,
        contracts: this.cp.contracts,
        schemas: this.opts.registry.all(),
        unavailable_schemas: [...this.unavailable.keys()],
        ops: this.cp.ops,
        identity_keys: this.opts.identityKeys,
      };
      const bytes = Buffer.from(JSON.stringify(snap));
      const buffer = new SharedArrayBuffer(bytes.length);
      new Uint8Array(buffer).set(bytes);
      this.current = { version: this.version, buffer };
      this.dirty = false;
    }
    return this.current;
  }
}
