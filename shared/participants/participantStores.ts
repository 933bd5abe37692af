import type { ContainerClient } from '@azure/storage-blob';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { blobServiceClientFor } from '../storage';

/**
 * The archive and control containers, for the participant commands and API, which only read them or change what is
 * in them: both must exist already, and neither is ever created here. A misspelt ARCHIVE_CONTAINER or
 * CONTROL_CONTAINER is a ConfigError naming the setting, never an empty answer (an export that finds nothing, or an
 * erasure that completes having erased nothing).
 */
export async function participantStores(
  config: Pick<Config, 'storage' | 'archiveContainer' | 'controlContainer'>,
): Promise<{ archive: ContainerClient; control: ContainerClient }> {
  const service = blobServiceClientFor(config);
  const archive = service.getContainerClient(config.archiveContainer);
  const control = service.getContainerClient(config.controlContainer);
  const [archiveExists, controlExists] = await Promise.all([archive.exists(), control.exists()]);
  for (const [setting, name, exists] of [
    ['ARCHIVE_CONTAINER', config.archiveContainer, archiveExists],
    ['CONTROL_CONTAINER', config.controlContainer, controlExists],
  ] as const) {
    if (!exists) {
      throw new ConfigError(
        setting,
        `container "${name}" does not exist in the archive storage account (a misspelt name? The function app ` +
          'creates it when it archives its first recording)',
      );
    }
  }
  return { archive, control };
}
