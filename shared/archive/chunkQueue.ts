import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { QueueSettings } from '../config';
import { BadInputError, ConfigError } from '../errors';
import { isRecordingKey, isSafeToken, MAX_CHUNK_INDEX } from './naming';

/**
 * The queue of chunk copies (SPEC section 5): one message `{callId, recordingKey, index}` per chunk to copy. The
 * message names a chunk and nothing else: the manifest is the truth, never a location or a secret in a queue.
 */
export interface ChunkMessage {
  callId: string;
  recordingKey: string;
  index: number;
}

/**
 * NOTE: must equal `extensions.queues.maxDequeueCount` in host.json (a test checks it): the copier names the last
 * attempt before the Functions host moves a message to the poison queue.
 */
export const MAX_DEQUEUE_COUNT = 5;

/** The message text as the Functions queue extension expects it by default (`messageEncoding: base64`). */
export function encodeChunkMessage(message: ChunkMessage): string {
  const { callId, recordingKey, index } = message;
  return Buffer.from(JSON.stringify({ callId, recordingKey, index }), 'utf8').toString('base64');
}

/** A message as the trigger hands it over (parsed JSON, or text), validated; BadInputError names what is wrong. */
export function parseChunkMessage(raw: unknown): ChunkMessage {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new BadInputError('queue message is not JSON', 'message');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadInputError('queue message is not a JSON object', 'message');
  }
  const { callId, recordingKey, index } = value as Record<string, unknown>;
  if (typeof callId !== 'string' || !isSafeToken(callId))
    throw new BadInputError('message.callId is not a call id', 'callId');
  if (typeof recordingKey !== 'string' || !isRecordingKey(recordingKey)) {
    throw new BadInputError('message.recordingKey is not a recording key', 'recordingKey');
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_CHUNK_INDEX) {
    throw new BadInputError(`message.index is not an integer from 0 to ${MAX_CHUNK_INDEX}`, 'index');
  }
  return { callId, recordingKey, index };
}

/** Sends chunk messages to ARCHIVE_QUEUE; reads the poison queue for the CLI. */
export class ChunkQueue {
  private ready: Promise<unknown> | undefined;

  constructor(
    readonly queue: QueueClient,
    readonly poison: QueueClient,
  ) {}

  /** Enqueues one message per chunk; `delaySeconds` keeps them invisible that long (a busy chunk, later). */
  async enqueue(messages: readonly ChunkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    if (messages.length === 0) return;
    this.ready ??= this.queue.createIfNotExists().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    await Promise.all(
      messages.map((message) =>
        this.queue.sendMessage(encodeChunkMessage(message), {
          ...(options.delaySeconds ? { visibilityTimeout: Math.ceil(options.delaySeconds) } : {}),
          // NOTE: -1 = never expires; the default of 7 days would silently drop a message nobody processed.
          messageTimeToLive: -1,
        }),
      ),
    );
  }
}

/** The chunk queue of the AzureWebJobsStorage account; ConfigError when that setting is missing. */
export function chunkQueueFor(settings: QueueSettings): ChunkQueue {
  const service = queueServiceFor(settings);
  return new ChunkQueue(service.getQueueClient(settings.name), service.getQueueClient(settings.poisonName));
}

let cached: { key: string; client: QueueServiceClient } | undefined;

function queueServiceFor(settings: QueueSettings): QueueServiceClient {
  const storage = settings.storage;
  if (!storage) {
    throw new ConfigError(
      'AzureWebJobsStorage',
      'is not set: the archive queue lives in the Functions host storage account (a connection string, or AzureWebJobsStorage__accountName with managed identity)',
    );
  }
  const key = storage.kind === 'connectionString' ? `cs:${storage.connectionString}` : `url:${storage.url.href}`;
  if (cached?.key === key) return cached.client;
  // NOTE: required lazily: only the functions that enqueue pay for loading the queue SDK (and identity) at cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { QueueServiceClient: Client } = require('@azure/storage-queue') as typeof import('@azure/storage-queue');
  let client: QueueServiceClient;
  if (storage.kind === 'connectionString') {
    client = Client.fromConnectionString(storage.connectionString);
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
    client = new Client(
      storage.url.href,
      new DefaultAzureCredential(storage.clientId ? { managedIdentityClientId: storage.clientId } : {}),
    );
  }
  cached = { key, client };
  return client;
}
