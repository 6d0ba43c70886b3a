/**
 * `signal-factory demo`: the steel thread of design section 12, end to end on the local
 * stack (scripts/stack up): start the control plane and the enforcer as real processes,
 * apply the orders policy, contract and resolution through the REST API, publish one valid
 * and one invalid order with kcat (an independent Kafka client), then print the PASS and
 * FAIL evidence read back from the evidence topic and the S3 key of the quarantined record.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from '../common/aws.js';
import { commonConfig } from '../common/config.js';
import { endOffsets, readEvidence } from '../dev/evidence-reader.js';
import { ordersExample } from '../dev/examples.js';
import { api, devToken, freePort, REPO_ROOT, type Service, startService } from '../dev/services.js';
import type { EvidenceEvent } from '../models/evidence.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: signal-factory demo

Runs the design's section 12 steel thread against the stack in the environment
(. .stack/env after scripts/stack up): control plane + enforcer + signal engine, one valid and one
invalid orders event, the evidence of both, the quarantined object's S3 key, and then
the orders dataset's health and the COMPLIANCE incident its invalid order opened.
`;

const RAW_TOPIC = 'raw.orders.events';
const IDENTITY_KEY = { id: 'demo', secret: 'demo-identity-key' };

function need(name: string): string {
  const v = process.env[name];
  if (!v)
    throw Object.assign(new Error(`${name} is not set: run scripts/stack up and . .stack/env`), {
      code: 'CONFIG_INVALID',
    });
  return v;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {});
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const cfg = commonConfig();
  const secret = need('SF_AUTH_JWT_SECRET');
  const quarantineUri = need('SF_QUARANTINE_URI');
  const logDir = join(REPO_ROOT, '.stack', 'logs');
  const services: Service[] = [];
  const say = (s: string) => process.stdout.write(`${s}\n`);
  try {
    const cpPort = await freePort();
    services.push(
      await startService({
        name: 'demo-control-plane',
        command: 'control-plane',
        env: { SF_HTTP_PORT: String(cpPort) },
        port: cpPort,
        logDir,
      }),
    );
    const cp = services[0].url;
    say(`control plane ready at ${cp}`);

    const admin = await devToken({ sub: 'demo-admin', teams: ['orders-team'], roles: ['admin'] }, secret);
    for (const [method, path, body] of [
      ['PUT', '/v1/contracts/dc:orders.created:3', ordersExample.contract()],
      ['PUT', '/v1/datasets/urn:dp:orders:created/policy', ordersExample.policy()],
      ['PUT', '/v1/datasets/urn:dp:orders:created/resolution', { rules: ordersExample.resolution().rules }],
    ] as const) {
      const res = await api(cp, admin, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      say(`${method} ${path} -> ${res.status}`);
    }

    const enfPort = await freePort();
    services.push(
      await startService({
        name: 'demo-enforcer',
        command: 'enforcer',
        env: {
          SF_ENFORCER_TOPICS: RAW_TOPIC,
          SF_ENFORCER_GROUP_ID: 'signal-factory-enforcer-orders-demo',
          // A demo group reads from the start once; later runs resume from their commits.
          SF_ENFORCER_OFFSET_RESET: 'earliest',
          SF_CONTROL_PLANE_URL: cp,
          SF_ENFORCER_HTTP_PORT: String(enfPort),
          SF_IDENTITY_KEYS: `${IDENTITY_KEY.id}:${IDENTITY_KEY.secret}`,
          SF_WORKERS: '1',
        },
        port: enfPort,
        logDir,
      }),
    );
    say(`enforcer ready at ${services[1].url}`);

    // The Signal Engine, with demo-short durations: the invalid order's 50% FAIL share breaches TIER_1's 99%.
    const sigPort = await freePort();
    services.push(
      await startService({
        name: 'demo-signals',
        command: 'signals',
        env: {
          SF_CONTROL_PLANE_URL: cp,
          SF_SIGNALS_HTTP_PORT: String(sigPort),
          SF_SIGNALS_GROUP_ID: 'signal-factory-signals-demo',
          SF_SIGNALS_EVAL_INTERVAL_MS: '1000',
          SF_SIGNALS_OPEN_AFTER_SEC: '2',
          SF_SIGNALS_MIN_RECORDS: '2',
          SF_POLICY_REFRESH_MS: '1000',
        },
        port: sigPort,
        logDir,
        readyTimeoutMs: 90_000,
      }),
    );
    say(`signal engine ready at ${services[2].url}`);

    const evidenceMarks = await endOffsets(cfg.brokers, cfg.evidenceTopic);
    const rawMarks = await endOffsets(cfg.brokers, RAW_TOPIC);
    const principal = `orders-svc.${IDENTITY_KEY.id}.${createHmac('sha256', IDENTITY_KEY.secret).update('orders-svc').digest('hex')}`;
    const sent: Array<{ file: string; hash: string }> = [];
    for (const [file, key] of [
      ['valid', 'o-784233'],
      ['invalid-missing-customer', 'o-784234'],
    ] as const) {
      const payload = ordersExample.record(file);
      // kcat: Debian's independent Kafka client publishes exactly as a producer would.
      execFileSync(
        'kcat',
        [
          '-P',
          '-b',
          cfg.brokers,
          '-t',
          RAW_TOPIC,
          '-k',
          key,
          '-H',
          `x-sf-principal=${principal}`,
          '-H',
          'producer-id=orders-svc',
        ],
        {
          input: payload,
        },
      );
      sent.push({ file, hash: `sha256:${createHash('sha256').update(payload).digest('hex')}` });
      say(`published ${file} to ${RAW_TOPIC} with kcat (key ${key})`);
    }

    const isOurs = (e: EvidenceEvent) => {
      const mark = rawMarks.find((m) => m.partition === e.source.partition);
      return e.source.raw_topic === RAW_TOPIC && mark !== undefined && e.source.offset >= mark.offset;
    };
    const { events, done } = await readEvidence({
      brokers: cfg.brokers,
      topic: cfg.evidenceTopic,
      from: evidenceMarks,
      until: (evs) => sent.every((s) => evs.some((e) => isOurs(e) && e.fingerprints.payload_hash === s.hash)),
      timeoutMs: 60_000,
    });
    if (!done) throw new Error(`evidence for both records did not arrive within 60 s (saw ${events.length} events)`);
    const pass = events.find((e) => isOurs(e) && e.fingerprints.payload_hash === sent[0].hash)!;
    const fail = events.find((e) => isOurs(e) && e.fingerprints.payload_hash === sent[1].hash)!;
    say('\n=== PASS evidence (valid order) ===');
    say(JSON.stringify(pass, null, 2));
    say('\n=== FAIL evidence (order missing customer_id) ===');
    say(JSON.stringify(fail, null, 2));

    const q = new URL(quarantineUri);
    const s3 = s3Client(cfg);
    let key: string | undefined;
    for (let i = 0; i < 40 && !key; i++) {
      const list = await s3.send(new ListObjectsV2Command({ Bucket: q.host, Prefix: q.pathname.slice(1) }));
      key = list.Contents?.map((o) => o.Key ?? '').find((k) => k.includes(fail.evidence_id));
      if (!key) await new Promise((r) => setTimeout(r, 250));
    }
    if (!key) throw new Error(`no quarantine object for ${fail.evidence_id}`);
    say(`\n=== quarantined record ===\ns3://${q.host}/${key}`);

    const urn = 'urn:dp:orders:created';
    let incident: { kind: string } | undefined;
    for (let i = 0; i < 120 && !incident; i++) {
      const r = await api(
        cp,
        admin,
        'GET',
        `/v1/incidents?dataset_urn=${encodeURIComponent(urn)}&state=open&kind=COMPLIANCE`,
      );
      incident = (r.body as { items?: Array<{ kind: string }> }).items?.[0];
      if (!incident) await new Promise((r) => setTimeout(r, 500));
    }
    const health = await api(cp, admin, 'GET', `/v1/datasets/${encodeURIComponent(urn)}/health`);
    say(`\n=== ${urn} health (Signal Engine) ===`);
    say(JSON.stringify(health.body, null, 2));
    say('\n=== incident opened by the invalid order ===');
    say(incident ? JSON.stringify(incident, null, 2) : '(none within 60 s)');
    const ok =
      pass.validation.result === 'PASS' &&
      fail.validation.result === 'FAIL' &&
      JSON.stringify(fail.validation.failed_gates) === '["CONTRACT"]' &&
      JSON.stringify(fail.validation.reason_codes) === '["MISSING_FIELD:customer_id"]' &&
      incident?.kind === 'COMPLIANCE';
    say(
      ok
        ? '\ndemo: OK (PASS, FAIL with CONTRACT / MISSING_FIELD:customer_id, quarantined, COMPLIANCE incident open)'
        : '\ndemo: UNEXPECTED verdicts',
    );
    return ok ? 0 : 1;
  } finally {
    for (const s of services.reverse()) await s.stop();
  }
}
