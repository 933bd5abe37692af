import type { TokenCredential } from '@azure/core-auth';
import type { ContainerClient } from '@azure/storage-blob';
import { createAcsAuthenticator, SourceClient } from '../acs';
import { getConfig, type Config } from '../config';
import type { RetryPolicy } from '../retry';
import { blobServiceClientFor, containerFor } from '../storage';
import { ArchiveStore } from './manifest/archiveStore';
import { chunkQueueFor, type ChunkQueue } from './chunkQueue';
import { PendingMarkers } from './manifest/pendingMarkers';

/** Progress of a chunk copy, for terminals (the CLI's progress bars). */
export type CopyProgress = (progress: {
  callId: string;
  recordingKey: string;
  index: number;
  staged: number;
  total: number;
}) => void;

/** What ingest, copyChunk and sweep work with: the stores, the queue, the source, the settings and the clock. */
export interface ArchiveServices {
  config: Config;
  /** The archive container (output only). */
  store: ArchiveStore;
  /** The control container (bookkeeping: markers, leases). */
  control: ContainerClient;
  markers: PendingMarkers;
  queue: ChunkQueue;
  source: SourceClient;
  retry: RetryPolicy;
  now: () => Date;
  onProgress?: CopyProgress;
}

/** The services wired to the configured ACS resource, archive storage and queue. */
export function createArchiveServices(
  config: Config,
  options: { credential?: TokenCredential; now?: () => Date; onProgress?: CopyProgress } = {},
): ArchiveServices {
  const blobs = blobServiceClientFor(config);
  const control = blobs.getContainerClient(config.controlContainer);
  return {
    config,
    store: new ArchiveStore(blobs.getContainerClient(config.archiveContainer)),
    control,
    markers: new PendingMarkers(control),
    queue: chunkQueueFor(config.queue),
    source: new SourceClient({
      endpoint: config.acs.endpoint,
      dialect: config.acs.dialect,
      auth: createAcsAuthenticator(config.acs, options.credential),
      allowedHosts: config.downloadHosts,
    }),
    retry: {
      maxAttempts: config.archive.maxAttempts,
      baseDelayMs: config.archive.retryBaseMs,
      maxDelayMs: Math.max(config.archive.retryBaseMs * 32, 1),
    },
    now: options.now ?? (() => new Date()),
    onProgress: options.onProgress,
  };
}

/** Creates the archive and control containers if they are missing (once per process: containerFor). */
export async function ensureContainers(services: ArchiveServices): Promise<void> {
  const { config } = services;
  await Promise.all([containerFor(config, config.archiveContainer), containerFor(config, config.controlContainer)]);
}

let processServices: ArchiveServices | undefined;

/** One set per process (one HTTP connection pool, one container check), built from the app settings. */
export function archiveServicesForProcess(): ArchiveServices {
  processServices ??= createArchiveServices(getConfig());
  return processServices;
}
