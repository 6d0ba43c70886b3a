/**
 * Issue 13, item 3: fatal start-up errors exit instead of hanging, and SIGTERM works in every
 * state. Each case spawns the real `signal-factory` process (bin -> dist/src/cli) and watches
 * its exit code, its timing and its output (every line must be JSON).
 * Before the fix: an unreachable broker left the enforcer alive forever after one non-JSON
 * line; SIGTERM while waiting for the first snapshot (or 100 ms after start) logged `enforcer
 * started` afterwards and the process stayed alive; the control plane kept running on a port
 * that was already in use.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { freePort, type SpawnedCommand, spawnCommand } from '../../../src/dev/services.js';
import { LOG_DIR, stackEnv, startControlPlane, unique } from '../../helpers/stack.js';

function spawn(t: TestContext, command: string, env: Record<string, string>): SpawnedCommand {
  const p = spawnCommand({ name: unique(`life-${command}`), command, env, logDir: LOG_DIR, capture: true });
  t.after(() => p.stop('SIGKILL'));
  return p;
}

/** Every output line parsed as JSON (fails on the first line that is not). */
function jsonLines(p: SpawnedCommand): Array<Record<string, unknown>> {
  return p.output().map((line) => {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    assert.ok(parsed, `not a JSON log line: ${line.slice(0, 200)}`);
    return parsed;
  });
}

async function waitFor(p: SpawnedCommand, msg: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.output().some((l) => l.includes(msg))) return;
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`"${msg}" not logged within ${timeoutMs} ms; see ${p.logFile}`);
}

/** Resolves with the exit, or fails if the process is still alive after `ms`. */
async function exitWithin(p: SpawnedCommand, ms: number) {
  const timeout = new Promise<'alive'>((r) => setTimeout(() => r('alive'), ms).unref());
  const r = await Promise.race([p.exited, timeout]);
  assert.notEqual(r, 'alive', `still alive ${ms} ms later; see ${p.logFile}`);
  return r as Awaited<SpawnedCommand['exited']>;
}

const enforcerEnv = (over: Record<string, string>) => ({
  SF_ENFORCER_TOPICS: unique('it.raw.life'),
  SF_ENFORCER_GROUP_ID: unique('it-life'),
  SF_WORKERS: '1',
  SF_LOG_LEVEL: 'info',
  ...over,
});

describe('process lifecycle: bounded start-up, SIGTERM in every state', { timeout: 240_000 }, () => {
  it('enforcer, broker unreachable: exits non-zero within the start-up bound with one JSON line naming the cause', async (t) => {
    stackEnv();
    const dead = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const p = spawn(
      t,
      'enforcer',
      enforcerEnv({
        SF_KAFKA_BROKERS: dead,
        SF_ENFORCER_HTTP_PORT: String(await freePort()),
        SF_STARTUP_TIMEOUT_MS: '4000',
      }),
    );
    const exit = await exitWithin(p, 20_000);
    const lines = jsonLines(p);
    const fatal = lines.filter((l) => l.level === 60);
    t.diagnostic(`exit ${exit.code} after ${exit.at - started} ms; fatal: ${JSON.stringify(fatal)}`);
    assert.equal(exit.code, 1);
    assert.equal(fatal.length, 1, 'exactly one fatal line');
    assert.equal(fatal[0].msg, 'start-up failed');
    const err = fatal[0].err as { code: string; message: string };
    assert.equal(err.code, 'STARTUP_TIMEOUT');
    assert.match(err.message, new RegExp(`connecting the evidence producer to ${dead}`));
    assert.ok(exit.at - started < 15_000, 'exits soon after the bound');
  });

  it('enforcer, SIGTERM while waiting for the first policy snapshot: stops at once, exit 0, never "started"', async (t) => {
    stackEnv();
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const p = spawn(
      t,
      'enforcer',
      enforcerEnv({ SF_CONTROL_PLANE_URL: nowhere, SF_ENFORCER_HTTP_PORT: String(await freePort()) }),
    );
    await waitFor(p, 'policy refresh failed', 30_000);
    const sent = Date.now();
    p.child.kill('SIGTERM');
    const exit = await exitWithin(p, 10_000);
    const msgs = jsonLines(p).map((l) => l.msg);
    t.diagnostic(`exit ${exit.code} ${exit.at - sent} ms after SIGTERM; ${msgs.join(' | ')}`);
    assert.equal(exit.code, 0);
    assert.ok(!msgs.includes('enforcer started'), 'start-up does not continue after SIGTERM');
    assert.ok(msgs.includes('enforcer stopped'));
    assert.ok(exit.at - sent < 5000, 'prompt');
  });

  it('enforcer, SIGTERM 100 ms after start (stack healthy): exit 0 promptly', async (t) => {
    stackEnv();
    const cp = await startControlPlane(t);
    const p = spawn(
      t,
      'enforcer',
      enforcerEnv({ SF_CONTROL_PLANE_URL: cp.url, SF_ENFORCER_HTTP_PORT: String(await freePort()) }),
    );
    // 100 ms after the process began its start-up (Node's own boot takes 150-300 ms here,
    // before any process can handle a signal).
    await waitFor(p, 'enforcer starting', 20_000);
    await new Promise((r) => setTimeout(r, 100));
    const sent = Date.now();
    p.child.kill('SIGTERM');
    const exit = await exitWithin(p, 15_000);
    t.diagnostic(`exit ${exit.code} ${exit.at - sent} ms after SIGTERM`);
    assert.equal(exit.code, 0);
    assert.ok(exit.at - sent < 10_000, 'prompt');
    // Start-up may have finished within the 100 ms; it must not go on after the signal.
    const msgs = jsonLines(p).map((l) => l.msg);
    const stopping = msgs.indexOf('stopping');
    assert.ok(stopping >= 0, msgs.join(' | '));
    assert.ok(!msgs.slice(stopping).includes('enforcer started'), msgs.join(' | '));
    assert.equal(msgs.at(-1), 'enforcer stopped');
  });

  it('enforcer: the start-up line names brokers, topics, group, offset reset and control-plane URL', async (t) => {
    const { brokers } = stackEnv();
    const env = enforcerEnv({
      SF_CONTROL_PLANE_URL: 'http://127.0.0.1:1',
      SF_ENFORCER_HTTP_PORT: String(await freePort()),
    });
    const p = spawn(t, 'enforcer', env);
    await waitFor(p, 'enforcer starting', 20_000);
    const line = jsonLines(p).find((l) => l.msg === 'enforcer starting');
    assert.ok(line);
    assert.equal(line.brokers, brokers);
    assert.deepEqual(line.topics, [env.SF_ENFORCER_TOPICS]);
    assert.equal(line.group, env.SF_ENFORCER_GROUP_ID);
    assert.equal(line.control_plane_url, 'http://127.0.0.1:1');
    assert.equal(line.offset_reset, 'latest');
    p.child.kill('SIGTERM');
    assert.equal((await exitWithin(p, 10_000)).code, 0);
  });

  it('control plane, port already in use: exits non-zero with one JSON line naming EADDRINUSE', async (t) => {
    stackEnv();
    const squatter = createServer();
    squatter.listen(0, '0.0.0.0');
    await once(squatter, 'listening');
    t.after(() => squatter.close());
    const port = (squatter.address() as { port: number }).port;
    const p = spawn(t, 'control-plane', {
      SF_HTTP_PORT: String(port),
      SF_POLICY_STORE: `sqlite:/tmp/${unique('sf-life')}.db`,
      SF_EVIDENCE_INDEX: 'on',
      SF_EVIDENCE_INDEX_PATH: `/tmp/${unique('sf-life-ev')}.db`,
      SF_SCHEMA_CHECK: 'off',
    });
    const exit = await exitWithin(p, 20_000);
    const fatal = jsonLines(p).filter((l) => l.level === 60);
    t.diagnostic(`exit ${exit.code}; ${JSON.stringify(fatal)}`);
    assert.equal(exit.code, 1);
    assert.equal(fatal.length, 1);
    assert.equal((fatal[0].err as { code: string }).code, 'EADDRINUSE');
  });
});
