import type { ContainerClient } from '@azure/storage-blob';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { blobServiceClientFor } from '../storage';

/**
 * The containers the participant commands and API use, which they only read or change what is in them: each must
 * exist already, and none is ever created here. A misspelt ARCHIVE_CONTAINER, CONTROL_CONTAINER or AUDIT_CONTAINER is
 * a ConfigError naming the setting, never an empty answer (an export that finds nothing, an erasure that completes
 * having erased nothing, or audit records in a container nobody protected).
 */

type Setting = 'ARCHIVE_CONTAINER' | 'CONTROL_CONTAINER' | 'AUDIT_CONTAINER';

const HOW_IT_IS_MADE: Record<Setting, string> = {
  ARCHIVE_CONTAINER: 'The function app creates it when it archives its first recording',
  CONTROL_CONTAINER: 'The function app creates it when it archives its first recording',
  // NOTE: never created here: in Azure it must be made by the deployment, with version-level immutability, or the
  // records in it could be rewritten. Locally (Azurite) create it yourself.
  AUDIT_CONTAINER:
    'The deployment creates it with version-level immutability (infra/app/archive-storage.bicep); locally, create it yourself',
};

async function existing(config: Pick<Config, 'storage'>, containers: [Setting, string][]): Promise<ContainerClient[]> {
  const service = blobServiceClientFor(config);
  const clients = containers.map(([, name]) => service.getContainerClient(name));
  const exists = await Promise.all(clients.map((c) => c.exists()));
  containers.forEach(([setting, name], i) => {
    if (!exists[i]) {
      throw new ConfigError(
        setting,
        `container "${name}" does not exist in the archive storage account (a misspelt name? ${HOW_IT_IS_MADE[setting]})`,
      );
    }
  });
  return clients;
}

/** The archive and control containers (export, index, the API). */
export async function participantStores(
  config: Pick<Config, 'storage' | 'archiveContainer' | 'controlContainer'>,
): Promise<{ archive: ContainerClient; control: ContainerClient }> {
  const [archive, control] = await existing(config, [
    ['ARCHIVE_CONTAINER', config.archiveContainer],
    ['CONTROL_CONTAINER', config.controlContainer],
  ]);
  return { archive: archive!, control: control! };
}

/**
 * The archive, control and audit containers (erasure, legal hold), and whether the audit container protects what is
 * written to it (version-level immutability; never so on Azurite).
 */
export async function auditedStores(
  config: Pick<Config, 'storage' | 'archiveContainer' | 'controlContainer' | 'auditContainer'>,
): Promise<{ archive: ContainerClient; control: ContainerClient; audit: ContainerClient; auditImmutable: boolean }> {
  const [archive, control, audit] = await existing(config, [
    ['ARCHIVE_CONTAINER', config.archiveContainer],
    ['CONTROL_CONTAINER', config.controlContainer],
    ['AUDIT_CONTAINER', config.auditContainer],
  ]);
  const properties = await audit!.getProperties();
  return {
    archive: archive!,
    control: control!,
    audit: audit!,
    auditImmutable: properties.isImmutableStorageWithVersioningEnabled === true,
  };
}
