/**
 * Issue 13, item 4 (logging part): librdkafka's own logs go through the JSON logger,
 * rate-limited, in every process. A control plane (evidence-index consumer) and an enforcer
 * (raw consumer, evidence producer) run on a dedicated broker that is then stopped: every line
 * they write stays JSON, and the flood of reconnect errors stays bounded. Before: ~3,500
 * multi-line non-JSON objects in one millisecond from the control plane, 17,000 lines after
 * the stack went away. Every line must name its client.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureTopics, withAdmin } from '../../../src/common/kafka-admin.js';
import { ordersDataset } from '../../helpers/dataset.js';
import { dedicatedBroker } from '../../helpers/faults.js';
import { stackEnv, startControlPlane, startEnforcer, unique } from '../../helpers/stack.js';

const OUTAGE_MS = 25_000;

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('librdkafka logs: JSON and rate-limited, in every process', { timeout: 300_000 }, () => {
  it('keeps every line JSON and the reconnect errors bounded while the broker is gone', async (t) => {
    stackEnv();
    const broker = await dedicatedBroker(t);
    const raw = unique('it.raw.logs');
    const evidenceTopic = unique('it.evidence.logs');
    await withAdmin(broker.brokers, (a) =>
      ensureTopics(a, [
        { topic: raw, numPartitions: 2 },
        { topic: evidenceTopic, numPartitions: 2 },
      ]),
    );
    const cp = await startControlPlane(t, {
      SF_KAFKA_BROKERS: broker.brokers,
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_EVIDENCE_INDEX: 'on',
      SF_EVIDENCE_INDEX_PATH: join(tmpdir(), `${unique('sf-ev')}.db`),
      SF_SCHEMA_CHECK: 'off',
    });
    await ordersDataset(cp, raw);
    const enforcer = await startEnforcer(t, {
      SF_KAFKA_BROKERS: broker.brokers,
      SF_ENFORCER_TOPICS: raw,
      SF_ENFORCER_GROUP_ID: unique('it-logs'),
      SF_EVIDENCE_TOPIC: evidenceTopic,
      SF_CONTROL_PLANE_URL: cp.url,
    });
    const before = { cp: lines(cp.service.logFile).length, enforcer: lines(enforcer.logFile).length };
    await broker.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));

    for (const [name, file, skip] of [
      ['control plane', cp.service.logFile, before.cp],
      ['enforcer', enforcer.logFile, before.enforcer],
    ] as const) {
      const all = lines(file);
      for (const l of all) {
        let ok = true;
        try {
          JSON.parse(l);
        } catch {
          ok = false;
        }
        assert.ok(ok, `${name}: not a JSON line: ${l.slice(0, 160)}`);
      }
      const during = all
        .slice(skip)
        .map((l) => JSON.parse(l) as { librdkafka?: string; librdkafka_code?: number; client?: string });
      const fromClient = during.filter((l) => l.librdkafka !== undefined || l.librdkafka_code !== undefined);
      const clients = new Set(fromClient.map((l) => l.client));
      // Each distinct complaint once per 30 s window: a handful of lines per client, not thousands.
      const bound = clients.size * 30;
      t.diagnostic(
        `${name}: ${during.length} lines during a ${OUTAGE_MS} ms outage, ${fromClient.length} from librdkafka (${[...clients].join(', ')}), bound ${bound}`,
      );
      assert.ok(fromClient.length > 0, `${name}: the client's errors are logged`);
      assert.ok(
        fromClient.every((l) => typeof l.client === 'string'),
        `${name}: each line names its client`,
      );
      assert.ok(fromClient.length <= bound, `${name}: ${fromClient.length} librdkafka lines > ${bound}`);
    }
  });
});
