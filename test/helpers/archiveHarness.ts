import { createHash, randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator, type EmulatorOptions } from '../../dev/emulator';
import { MAX_DEQUEUE_COUNT } from '../../shared/archive/chunkQueue';
import { copyChunk, type CopyOutcome } from '../../shared/archive/copyChunk';
import { ingestEvent, type IngestOutcome } from '../../shared/archive/ingest';
import type { Manifest } from '../../shared/archive/manifest/manifest';
import { createArchiveServices, type ArchiveServices } from '../../shared/archive/archiveServices';
import { loadConfig, type Config } from '../../shared/config';
import type { Logger } from '../../shared/logger';
import { CapturedLog } from './logs';

export const BLOCK = 1024 * 1024; // the harness archives with 1 MiB blocks

export interface DrainedMessage {
  message: unknown;
  dequeueCount: number;
  outcome: CopyOutcome | 'threw';
  error?: Error;
}

export interface ArchiveHarness {
  emulator: AcsEmulator;
  config: Config;
  services: ArchiveServices;
  /** The archive container. */
  container: ContainerClient;
  /** The control container. */
  control: ContainerClient;
  env: Record<string, string>;
  stop(): Promise<void>;
  /** archiveRecording's work for one event. */
  ingest(event: unknown, log?: Logger): Promise<IngestOutcome>;
  /**
   * archiveChunk's work for every message on the queue, as the Functions queue extension hands them over (a dequeue
   * count; a message whose copy throws is visible again at once, and moves to the poison queue after
   * MAX_DEQUEUE_COUNT), until the queue is empty.
   */
  drain(log?: Logger): Promise<DrainedMessage[]>;
  /** ingest + drain: the whole path, in this process. */
  archive(event: unknown, log?: Logger): Promise<IngestOutcome>;
}

/** The emulator plus the archive services on their own containers and queue in the run's Azurite, fast retries, 1 MiB blocks. */
export async function archiveHarness(
  options: { env?: Record<string, string>; emulator?: EmulatorOptions } = {},
): Promise<ArchiveHarness> {
  const emulator = await startEmulator(options.emulator);
  const id = randomUUID().slice(0, 8);
  const env = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    AzureWebJobsStorage: azuriteConnectionString(),
    ARCHIVE_CONTAINER: `arch-${id}`,
    CONTROL_CONTAINER: `ctrl-${id}`,
    ARCHIVE_QUEUE: `q-${id}`,
    ARCHIVE_BLOCK_SIZE_MIB: '1',
    ARCHIVE_RETRY_BASE_MS: '20',
    ARCHIVE_LOCK_SECONDS: '15',
    ...options.env,
  };
  const config = loadConfig(env);
  const services = createArchiveServices(config);
  const blobs = BlobServiceClient.fromConnectionString(azuriteConnectionString());
  const harness: ArchiveHarness = {
    emulator,
    config,
    services,
    container: blobs.getContainerClient(config.archiveContainer),
    control: blobs.getContainerClient(config.controlContainer),
    env,
    stop: () => emulator.stop(),
    ingest: (event, log = new CapturedLog()) => ingestEvent(services, event, log),
    drain: (log = new CapturedLog()) => drainQueue(services, log),
    archive: async (event, log = new CapturedLog()) => {
      const outcome = await ingestEvent(services, event, log);
      await drainQueue(services, log);
      return outcome;
    },
  };
  return harness;
}

async function drainQueue(services: ArchiveServices, log: Logger): Promise<DrainedMessage[]> {
  const { queue, poison } = services.queue;
  const drained: DrainedMessage[] = [];
  if (!(await queue.exists())) return drained;
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 8, visibilityTimeout: 300 });
    if (receivedMessageItems.length === 0) {
      // Messages re-enqueued with a delay (a busy chunk) are not visible yet: nothing more to do now.
      return drained;
    }
    await Promise.all(
      receivedMessageItems.map(async (item) => {
        const text = Buffer.from(item.messageText, 'base64').toString('utf8');
        let message: unknown = text;
        try {
          message = JSON.parse(text);
        } catch {
          // handed over as text, as the Functions host does
        }
        try {
          const outcome = await copyChunk(services, message, { dequeueCount: item.dequeueCount }, log);
          drained.push({ message, dequeueCount: item.dequeueCount, outcome });
          await queue.deleteMessage(item.messageId, item.popReceipt);
        } catch (error) {
          drained.push({ message, dequeueCount: item.dequeueCount, outcome: 'threw', error: error as Error });
          if (item.dequeueCount >= MAX_DEQUEUE_COUNT) {
            await poison.createIfNotExists();
            await poison.sendMessage(item.messageText);
            await queue.deleteMessage(item.messageId, item.popReceipt);
          } else {
            await queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
          }
        }
      }),
    );
  }
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
  // NOTE: one GET, not downloadToBuffer (a HEAD, then ranges): a blob rewritten in between would read torn.
  const response = await container.getBlobClient(name).download();
  const pieces: Buffer[] = [];
  for await (const piece of response.readableStreamBody as AsyncIterable<Buffer>) pieces.push(piece);
  return Buffer.concat(pieces);
}

export async function readManifest(
  container: ContainerClient,
  callId: string,
  recordingKey: string,
): Promise<Manifest> {
  const bytes = await blobBytes(container, `${callId}/${recordingKey}/manifest.json`);
  return JSON.parse(bytes.toString('utf8')) as Manifest;
}

export async function listBlobs(container: ContainerClient, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

/** `chunk-0007`, `chunk-0012`: the zero-padded chunk file name stem. */
export function chunkStem(index: number): string {
  return `chunk-${String(index).padStart(4, '0')}`;
}
