import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { QueueSettings } from '../config';
import { BadInputError, ConfigError } from '../errors';
import { statusCode } from '../storage';
import { isRecordingKey, isSafeToken, MAX_CHUNK_INDEX } from '../recording';
import { azureCredential } from '../credential';

/**
 * The queue of chunk copies: one message `{callId, recordingKey, index}` per chunk to copy. The
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
  constructor(
    readonly queue: QueueClient,
    readonly poison: QueueClient,
  ) {}

  /**
   * Enqueues one message per chunk; `delaySeconds` keeps them invisible that long (a busy chunk, later). Sends first
   * and creates the queue only when the send says it does not exist (404), as the Functions queue extension does: the
   * deployment creates the queue, so the app's role needs no right to create queues (a create call would be refused
   * with 403 even for a queue that exists).
   */
  async enqueue(messages: readonly ChunkMessage[], options: { delaySeconds?: number } = {}): Promise<void> {
    await Promise.all(messages.map((message) => this.send(encodeChunkMessage(message), options.delaySeconds)));
  }

  private async send(text: string, delaySeconds: number | undefined): Promise<void> {
    const options = {
      ...(delaySeconds ? { visibilityTimeout: Math.ceil(delaySeconds) } : {}),
      // NOTE: -1 = never expires; the default of 7 days would silently drop a message nobody processed.
      messageTimeToLive: -1,
    };
    try {
      await this.queue.sendMessage(text, options);
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
      await this.queue.createIfNotExists();
      await this.queue.sendMessage(text, options);
    }
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
    client = new Client(storage.url.href, azureCredential(storage.clientId));
  }
  cached = { key, client };
  return client;
}
