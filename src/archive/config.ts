/** `signal-factory archive` configuration from the environment (README's configuration table). */
import { type CommonConfig, commonConfig, env } from '../common/config.js';
import { type ArchiveLocation, parseArchiveUri } from './layout.js';

export interface ArchiveConfig extends CommonConfig {
  location: ArchiveLocation;
  groupId: string;
  /** A batch is written when it holds this many events... */
  batchEvents: number;
  /** ...or when its oldest event has waited this long. */
  batchMs: number;
  /** /healthz, /readyz, /metrics. */
  httpPort: number;
}

export function archiveLocation(): ArchiveLocation {
  return parseArchiveUri(env.str('SF_ARCHIVE_URI', 's3://signal-factory-archive/evidence'));
}

export function archiveConfig(): ArchiveConfig {
  return {
    ...commonConfig(),
    location: archiveLocation(),
    groupId: env.str('SF_ARCHIVE_GROUP_ID', 'signal-factory-archive'),
    batchEvents: env.int('SF_ARCHIVE_BATCH_EVENTS', 100_000, 1),
    batchMs: env.int('SF_ARCHIVE_BATCH_MS', 60_000, 100),
    httpPort: env.int('SF_ARCHIVE_HTTP_PORT', 9466, 0),
  };
}
