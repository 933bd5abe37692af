import type { TokenCredential } from '@azure/core-auth';
import { createAcsAuthenticator } from '../acs/auth';
import { SourceClient } from '../acs/download';
import { getConfig, type Config } from '../config';
import { blobServiceClientFor } from '../storage';
import { ArchiveStore } from './archiveStore';
import { Archiver, type ArchiverOptions } from './archiver';

/** The archiver wired to the configured ACS resource and archive storage. */
export function createArchiver(
  config: Config,
  options: { credential?: TokenCredential; lockWaitMs?: number; onProgress?: ArchiverOptions['onProgress'] } = {},
): Archiver {
  const container = blobServiceClientFor(config).getContainerClient(config.archiveContainer);
  const source = new SourceClient({
    endpoint: config.acs.endpoint,
    auth: createAcsAuthenticator(config.acs, options.credential),
    allowedHosts: config.downloadHosts,
  });
  return new Archiver({
    config,
    store: new ArchiveStore(container),
    source,
    lockWaitMs: options.lockWaitMs,
    onProgress: options.onProgress,
  });
}

let processArchiver: Archiver | undefined;

/** One archiver per process (one HTTP connection pool, one container check), built from the app settings. */
export function archiverForProcess(): Archiver {
  processArchiver ??= createArchiver(getConfig());
  return processArchiver;
}
