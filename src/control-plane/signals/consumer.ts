/**
 * Feeds the SignalsView from the engine's topics (snapshots, incidents, acknowledgements) and
 * publishes acknowledgements. Every control plane replica reads the (compacted) topics from the
 * beginning with its own throw-away group and never commits: the view is rebuilt at each start.
 * The client retries connecting by itself; status() says whether the view is connected, and the
 * health endpoint marks a snapshot stale by its age, so an engine or broker outage is visible.
 */
import { hostname } from 'node:os';
import { KafkaConsumer, KafkaJS, type Message, returnWhenDrained } from '../../common/kafka.js';
import { rateLimitedLog, routeClientLogs } from '../../common/kafka-logs.js';
import { kafkaSecurityConfig } from '../../common/kafka-security.js';
import type { Logger } from '../../common/logger.js';
import type { Incident, IncidentAck, SignalSnapshot } from '../../models/index.js';
import type { SignalsView } from './view.js';

export interface SignalsFeedOptions {
  brokers: string;
  signalsTopic: string;
  incidentsTopic: string;
  acksTopic: string;
  view: SignalsView;
  logger: Logger;
}

export class SignalsFeed {
  private consumer: KafkaConsumer | undefined;
  private producer: import('@confluentinc/kafka-javascript').KafkaJS.Producer | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  connected = false;
  lastError: string | null = null;

  constructor(private readonly o: SignalsFeedOptions) {}

  start(): this {
    const c = new KafkaConsumer(
      {
        'metadata.broker.list': this.o.brokers,
        ...kafkaSecurityConfig(),
        'group.id': `signal-factory-control-plane-signals-${hostname()}-${process.pid}-${Date.now()}`,
        'client.id': 'signal-factory-control-plane-signals',
        'enable.auto.commit': false,
        'topic.metadata.refresh.interval.ms': 5000,
        log_level: 6,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    routeClientLogs(c, rateLimitedLog(this.o.logger), { client: 'signals view consumer' });
    c.on('event.error', (e) => {
      this.lastError = e.message;
    });
    this.consumer = c;
    this.loop = this.run(c).catch((err) => {
      this.lastError = (err as Error).message;
      this.o.logger.error({ err: this.lastError }, 'signals view consumer stopped');
    });
    return this;
  }

  private async run(c: KafkaConsumer): Promise<void> {
    while (!this.stopped) {
      try {
        await new Promise<void>((res, rej) => c.connect({ timeout: 5000 }, (e) => (e ? rej(e) : res())));
        break;
      } catch (err) {
        this.lastError = (err as Error).message;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    if (this.stopped) return;
    this.connected = true;
    c.setDefaultConsumeTimeout(500);
    returnWhenDrained(c);
    c.subscribe([this.o.signalsTopic, this.o.incidentsTopic, this.o.acksTopic]);
    while (!this.stopped) {
      const batch = await new Promise<Message[]>((res) => c.consume(1000, (e, m) => res(e ? [] : m)));
      for (const m of batch) this.apply(m);
    }
  }

  private apply(m: Message): void {
    if (!m.value) return;
    try {
      const v = JSON.parse(m.value.toString('utf8'));
      if (m.topic === this.o.signalsTopic) this.o.view.applySnapshot(v as SignalSnapshot);
      else if (m.topic === this.o.incidentsTopic) this.o.view.applyIncident(v as Incident);
      else this.o.view.applyAck(v as IncidentAck);
    } catch {
      // Not JSON: not ours to serve.
    }
  }

  /** Publishes an acknowledgement; resolves once the broker has it, then the view shows it. */
  async ack(a: IncidentAck): Promise<void> {
    if (!this.producer) {
      const kafka = new KafkaJS.Kafka({
        ...kafkaSecurityConfig(),
        kafkaJS: { brokers: this.o.brokers.split(','), logLevel: KafkaJS.logLevel.ERROR },
      });
      const p = kafka.producer({ 'message.timeout.ms': 10_000 } as object);
      await p.connect();
      this.producer = p;
    }
    await this.producer.send({
      topic: this.o.acksTopic,
      messages: [{ key: a.incident_id, value: JSON.stringify(a) }],
    });
    this.o.view.applyAck(a);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 3000).unref())]);
    await this.producer?.disconnect().catch(() => {});
    if (this.consumer) await new Promise<void>((r) => this.consumer!.disconnect(() => r()));
  }
}
