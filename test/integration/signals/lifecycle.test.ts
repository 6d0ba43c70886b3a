/**
 * Issue 15: `signal-factory signals` runs through runService like the other services: start-up is
 * bounded (a fatal JSON line names what it waited for), SIGTERM during start-up and while running
 * exits 0, and every output line is JSON.
 */
import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { freePort, type SpawnedCommand, spawnCommand } from '../../../src/dev/services.js';
import { LOG_DIR, stackEnv, unique } from '../../helpers/stack.js';
import { signalsRig } from './helpers.js';

function spawn(t: TestContext, env: Record<string, string>): SpawnedCommand {
  const p = spawnCommand({ name: unique('life-signals'), command: 'signals', env, logDir: LOG_DIR, capture: true });
  t.after(() => p.stop('SIGKILL'));
  return p;
}

const lines = (p: SpawnedCommand) => p.output().map((l) => JSON.parse(l) as Record<string, unknown>);

async function exitWithin(p: SpawnedCommand, ms: number) {
  const r = await Promise.race([p.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), ms).unref())]);
  assert.notEqual(r, 'alive', `still alive ${ms} ms later; see ${p.logFile}`);
  return r as Awaited<SpawnedCommand['exited']>;
}

it('control plane unreachable: one fatal JSON line naming the phase, exit 1 within the bound', {
  timeout: 60_000,
}, async (t) => {
  stackEnv();
  const p = spawn(t, {
    SF_CONTROL_PLANE_URL: `http://127.0.0.1:${await freePort()}`,
    SF_SIGNALS_HTTP_PORT: String(await freePort()),
    SF_SIGNALS_GROUP_ID: unique('life-signals'),
    SF_STARTUP_TIMEOUT_MS: '8000',
  });
  const r = await exitWithin(p, 25_000);
  assert.equal(r.code, 1);
  const fatal = lines(p).filter((l) => l.level === 60);
  assert.equal(fatal.length, 1, 'exactly one fatal line');
  assert.match(String(fatal[0].phase ?? (fatal[0].err as { message: string }).message), /loading policies/);
});

it('SIGTERM during start-up and while running exits 0', { timeout: 120_000 }, async (t) => {
  stackEnv();
  const early = spawn(t, {
    SF_CONTROL_PLANE_URL: `http://127.0.0.1:${await freePort()}`,
    SF_SIGNALS_HTTP_PORT: String(await freePort()),
  });
  await new Promise((r) => setTimeout(r, 1500));
  early.child.kill('SIGTERM');
  assert.equal((await exitWithin(early, 15_000)).code, 0);
  lines(early);

  const rig = await signalsRig(t);
  const running = await rig.engine();
  assert.equal(
    await Promise.race([running.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('alive'), 30_000))]),
    0,
  );
});
