/**
 * The engine's view of the policies (SLOs, freshness_slo_sec, volume_rpm_expected): GET
 * /v1/snapshot polled with its ETag. A failed poll keeps the last-known policies and is logged
 * (rate-limited); the first load is part of start-up (bounded by SF_STARTUP_TIMEOUT_MS).
 */
import { fetchSnapshot } from '../common/control-plane-api.js';
import { mintDevToken } from '../common/dev-token.js';
import { retryUntilAborted } from '../common/lifecycle.js';
import type { Logger } from '../common/logger.js';
import type { DatasetPolicy } from '../models/index.js';

export class PolicyView {
  private policies = new Map<string, DatasetPolicy>();
  private etag: string | undefined;
  private token: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly o: { url: string; token: string | undefined; refreshMs: number; log: Logger }) {
    this.token = o.token;
  }

  get(dataset: string): DatasetPolicy | undefined {
    return this.policies.get(dataset);
  }

  all(): IterableIterator<DatasetPolicy> {
    return this.policies.values();
  }

  private async bearer(): Promise<string | undefined> {
    if (this.token) return this.token;
    const secret = process.env.SF_AUTH_JWT_SECRET;
    if (!secret) return undefined;
    this.token = await mintDevToken(secret, { sub: 'signal-factory-signals', teams: [], roles: ['service'] });
    return this.token;
  }

  private async poll(): Promise<void> {
    const r = await fetchSnapshot(this.o.url, await this.bearer(), this.etag);
    if (r.status === 304) return;
    this.etag = r.etag;
    this.policies = new Map(r.body.policies.map((p) => [p.dataset_urn, p]));
  }

  async start(signal: AbortSignal): Promise<void> {
    await retryUntilAborted(
      () => this.poll(),
      signal,
      (err) => this.o.log.warn({ err: (err as Error).message, url: this.o.url }, 'cannot load policies yet; retrying'),
    );
    const tick = () => {
      this.timer = setTimeout(() => {
        this.poll()
          .then(
            () => {
              this.failures = 0;
            },
            (err) => {
              if (this.failures++ % 30 === 0)
                this.o.log.warn({ err: (err as Error).message }, 'policy refresh failed; keeping the last policies');
            },
          )
          .finally(() => {
            if (this.timer) tick();
          });
      }, this.o.refreshMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
