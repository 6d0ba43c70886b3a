/**
 * The machine's limit (issue 14): the same backlog drained by processes that are not ours.
 * - `limit`: perf/limit/Passthrough.java, Kafka's own Java clients keeping the enforcer's
 *   contract (consume, ~900 B evidence acks=all idempotent lz4, commit after the ack). Compiled
 *   here with javac against the stack's Kafka jars (.cache/kafka/libs) into .cache/perf-java.
 * - `kcat`: `kcat -C | kcat -P` with the same producer settings and no commit: an upper bound.
 * - `kcatRead`: `kcat -C > /dev/null`, the read limit of a consume-only process (the archive's).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/dev/services.js';

const SOURCE = join(REPO_ROOT, 'perf', 'limit', 'Passthrough.java');
const KAFKA_LIBS = join(REPO_ROOT, '.cache', 'kafka', 'libs');
const CLASS_DIR = join(REPO_ROOT, '.cache', 'perf-java');

/** The java command line of the stock-client passthrough, compiling it first when the source is newer. */
export function javaPassthroughCommand(): { cmd: string; args: string[] } {
  if (!existsSync(KAFKA_LIBS)) throw new Error(`${KAFKA_LIBS} is missing: run scripts/setup (it downloads Kafka)`);
  const cp = `${KAFKA_LIBS}/*`;
  const cls = join(CLASS_DIR, 'Passthrough.class');
  if (!existsSync(cls) || statSync(cls).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(CLASS_DIR, { recursive: true });
    const res = spawnSync('javac', ['-cp', cp, '-d', CLASS_DIR, SOURCE], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`javac ${SOURCE} failed: ${res.stderr || res.error?.message}`);
  }
  // A small heap like the broker's: the producer's 32 MiB buffer is the byte bound.
  return { cmd: 'java', args: ['-Xmx256m', '-cp', `${CLASS_DIR}:${cp}`, 'Passthrough'] };
}

export interface KcatRun {
  seconds: number;
  /** CPU seconds of both kcat processes (bash `times`, children). */
  cpu: number;
}

/**
 * Copies every record of `raw` (to its current end) into `evidence` with kcat's consumer piped
 * into kcat's producer (acks=all, idempotent, lz4, linger 5 ms); no group, no commit.
 */
export function kcatPipe(brokers: string, raw: string, evidence: string): Promise<KcatRun> {
  const c = `kcat -b ${brokers} -C -t ${raw} -o beginning -e -q -f '%s\\n'`;
  const p = `kcat -b ${brokers} -P -t ${evidence} -z lz4 -X acks=all -X enable.idempotence=true -X linger.ms=5`;
  return timedShell(`${c} | ${p}`, 'kcat pipe');
}

/** Reads every record of `topic` (to its current end) with kcat's consumer into /dev/null: the read limit. */
export function kcatRead(brokers: string, topic: string): Promise<KcatRun> {
  return timedShell(`kcat -b ${brokers} -C -t ${topic} -o beginning -e -q -f '%s\\n' > /dev/null`, 'kcat read');
}

/** Runs a bash pipeline; its wall time and its children's CPU seconds. */
async function timedShell(pipeline: string, what: string): Promise<KcatRun> {
  const t0 = performance.now();
  const child = spawn('bash', ['-c', `set -o pipefail; ${pipeline}; rc=$?; times; exit $rc`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${what} exited ${code}: ${err.slice(0, 500)}`);
  // `times`: the shell's user/sys, then its children's: "0m1.234s 0m0.567s".
  const line = out.trim().split('\n').pop() ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { seconds, cpu: (secs[0] ?? Number.NaN) + (secs[1] ?? Number.NaN) };
}
