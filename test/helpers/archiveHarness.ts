import { createHash, randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator, type EmulatorOptions } from '../../dev/emulator';
import { createArchiver } from '../../shared/archive/createArchiver';
import type { Archiver } from '../../shared/archive/archiver';
import type { Manifest } from '../../shared/archive/manifest';
import { loadConfig, type Config } from '../../shared/config';

export const BLOCK = 1024 * 1024; // the harness archives with 1 MiB blocks

export interface ArchiveHarness {
  emulator: AcsEmulator;
  config: Config;
  archiver: Archiver;
  container: ContainerClient;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The emulator plus an archiver on its own container in the run's Azurite, with fast retries and 1 MiB blocks. */
export async function archiveHarness(
  options: { env?: Record<string, string>; emulator?: EmulatorOptions; lockWaitMs?: number } = {},
): Promise<ArchiveHarness> {
  const emulator = await startEmulator(options.emulator);
  const containerName = `arch-${randomUUID().slice(0, 8)}`;
  const env = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    ARCHIVE_CONTAINER: containerName,
    ARCHIVE_BLOCK_SIZE_MIB: '1',
    ARCHIVE_RETRY_BASE_MS: '20',
    ...options.env,
  };
  const config = loadConfig(env);
  const archiver = createArchiver(config, { lockWaitMs: options.lockWaitMs });
  const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(containerName);
  return { emulator, config, archiver, container, env, stop: () => emulator.stop() };
}

export function azuriteConnectionString(): string {
  const value = process.env.TEST_AZURITE_CONNECTION_STRING;
  if (!value)
    throw new Error(
      'TEST_AZURITE_CONNECTION_STRING is not set: run the tests through jest (globalSetup starts Azurite)',
    );
  return value;
}

export async function blobSha256(container: ContainerClient, name: string): Promise<string> {
  const response = await container.getBlobClient(name).download();
  const hash = createHash('sha256');
  for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) hash.update(piece);
  return hash.digest('hex');
}

export async function blobBytes(container: ContainerClient, name: string): Promise<Buffer> {
  return container.getBlobClient(name).downloadToBuffer();
}

export async function readManifest(
  container: ContainerClient,
  callId: string,
  recordingKey: string,
): Promise<Manifest> {
  const bytes = await container.getBlobClient(`${callId}/${recordingKey}/manifest.json`).downloadToBuffer();
  return JSON.parse(bytes.toString('utf8')) as Manifest;
}

export async function listBlobs(container: ContainerClient, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}
