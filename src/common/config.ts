/**
 * Environment configuration shared by every command. Names are fixed by INTERFACE.md;
 * every variable is listed in the README's configuration table.
 */
import { availableParallelism } from 'node:os';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

function str(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

export interface CommonConfig {
  brokers: string;
  evidenceTopic: string;
  /** Where enforcers emit shadow evidence and the control plane reads it for shadow reports. */
  shadowEvidenceTopic: string;
  awsEndpoint: string | undefined;
  awsRegion: string;
  glueRegistry: string;
  logLevel: string;
  /** Bound on start-up (connections, first policy snapshot): past it the process exits 1. */
  startupTimeoutMs: number;
  /** Bound on a graceful stop after SIGTERM. */
  shutdownDeadlineMs: number;
}

export function commonConfig(): CommonConfig {
  return {
    brokers: str('SF_KAFKA_BROKERS', '127.0.0.1:9092'),
    evidenceTopic: str('SF_EVIDENCE_TOPIC', 'signal_factory.evidence'),
    shadowEvidenceTopic: str('SF_SHADOW_EVIDENCE_TOPIC', 'signal_factory.evidence.shadow'),
    awsEndpoint: process.env.SF_AWS_ENDPOINT || undefined,
    awsRegion: str('AWS_REGION', str('AWS_DEFAULT_REGION', 'us-east-1')),
    glueRegistry: str('SF_GLUE_REGISTRY', 'signal-factory'),
    logLevel: str('SF_LOG_LEVEL', 'info'),
    startupTimeoutMs: int('SF_STARTUP_TIMEOUT_MS', 60_000, 100),
    shutdownDeadlineMs: int('SF_SHUTDOWN_DEADLINE_MS', 30_000, 100),
  };
}

export const env = { str, int };

/** Default worker threads: leave the main thread a core (it owns consume/produce). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}
