/**
 * The Signal Engine process: topics, policies, stage 1 (fold-stage.ts) and stage 2
 * (merge-stage.ts) side by side. Every process runs both; Kafka's two consumer groups spread
 * evidence partitions (stage 1) and datasets (stage 2) over however many processes run.
 */
import { rateLimitedLog } from '../common/kafka-logs.js';
import type { Logger } from '../common/logger.js';
import type { SignalsConfig } from './config.js';
import { FoldStage } from './fold-stage.js';
import { MergeStage } from './merge-stage.js';
import { type SignalsMetrics, signalsMetrics } from './metrics.js';
import { PolicyView } from './policies.js';
import { ensureSignalTopics } from './topics.js';

export class SignalEngine {
  readonly metrics: SignalsMetrics = signalsMetrics();
  private step = 'not started';
  private fold: FoldStage | undefined;
  private merge: MergeStage | undefined;
  private readonly policies: PolicyView;
  private fail: (e: Error) => void = () => {};
  readonly failure = new Promise<Error>((r) => {
    this.fail = r;
  });

  constructor(
    private readonly cfg: SignalsConfig,
    private readonly log: Logger,
  ) {
    this.policies = new PolicyView({
      url: cfg.controlPlaneUrl,
      token: cfg.controlPlaneToken,
      refreshMs: cfg.policyRefreshMs,
      log,
    });
  }

  phase(): string {
    return this.step;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.step = `creating the signal topics on ${this.cfg.brokers}`;
    const partitions = await ensureSignalTopics(this.cfg.brokers, this.cfg, this.cfg.topicPartitions);
    signal.throwIfAborted();
    this.step = `loading policies from ${this.cfg.controlPlaneUrl}`;
    await this.policies.start(signal);
    const clientLog = rateLimitedLog(this.log);
    this.step = 'starting stage 2 (merge)';
    this.merge = new MergeStage(this.cfg, this.log, clientLog, this.metrics, this.policies, partitions);
    await this.merge.start();
    this.merge.failure.then((e) => this.fail(e));
    signal.throwIfAborted();
    this.step = 'starting stage 1 (fold)';
    this.fold = new FoldStage(this.cfg, this.log, clientLog, this.metrics, partitions);
    await this.fold.start();
    this.fold.failure.then((e) => this.fail(e));
    this.step = 'running';
    this.log.info(
      { evidenceTopic: this.cfg.evidenceTopic, partials: this.cfg.partialsTopic, partitions },
      'signal engine started',
    );
  }

  readiness(): { ready: boolean; reasons: string[] } {
    return this.step === 'running' ? { ready: true, reasons: [] } : { ready: false, reasons: [this.step] };
  }

  async stop(): Promise<void> {
    this.policies.stop();
    await this.fold?.stop();
    await this.merge?.stop();
  }
}
