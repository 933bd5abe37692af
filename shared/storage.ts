import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { Config } from './config';
import { azureCredential } from './credential';
import { PermanentError } from './errors';
import { UndiciStorageClient } from './storageHttpClient';

/**
 * Blob Storage for the archive and the control state: a connection string locally (Azurite), managed identity in
 * Azure. One client per process, sending through one pooled undici Agent (storageHttpClient.ts) unless
 * ARCHIVE_STORAGE_HTTP_CLIENT=sdk or a proxy is configured (the SDK's own node:http client honours HTTPS_PROXY).
 */
let cached: { key: string; client: BlobServiceClient } | undefined;
let undiciClient: UndiciStorageClient | undefined;

export function blobServiceClientFor(config: Pick<Config, 'storage'>): BlobServiceClient {
  const storage = config.storage;
  const transport = storage.httpClient === 'sdk' || proxyConfigured() ? 'sdk' : 'undici';
  const key = `${transport} ${storage.kind === 'connectionString' ? `cs:${storage.connectionString}` : `url:${storage.url.href}`}`;
  if (cached?.key === key) return cached.client;
  const options: StoragePipelineOptions =
    transport === 'undici' ? { httpClient: (undiciClient ??= new UndiciStorageClient()) } : {};
  let client: BlobServiceClient;
  if (storage.kind === 'connectionString') {
    client = BlobServiceClient.fromConnectionString(storage.connectionString, options);
  } else {
    client = new BlobServiceClient(storage.url.href, azureCredential(), options);
  }
  cached = { key, client };
  return client;
}

/** The proxy variables core-rest-pipeline's proxy policy reads (it hands the SDK's node:http client an agent). */
function proxyConfigured(): boolean {
  return ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].some(
    (name) => (process.env[name] ?? '') !== '',
  );
}

const ensured = new Map<string, Promise<unknown>>();

/** The named container, created if missing (once per process). */
export async function containerFor(config: Pick<Config, 'storage'>, name: string): Promise<ContainerClient> {
  const container = blobServiceClientFor(config).getContainerClient(name);
  const key = `${container.url}`;
  let ready = ensured.get(key);
  if (!ready) {
    ready = container.createIfNotExists().catch((error: unknown) => {
      ensured.delete(key);
      throw error;
    });
    ensured.set(key, ready);
  }
  await ready;
  return container;
}

/** The HTTP status of a Storage SDK error (RestError), if any. */
export function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as { statusCode?: number }).statusCode
    : undefined;
}

/** A small document's text (manifests, metadata, records); more than `maxBytes` is a PermanentError 'TooLarge'. */
export async function streamToText(stream: NodeJS.ReadableStream | undefined, maxBytes: number): Promise<string> {
  if (!stream) return '';
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > maxBytes) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new PermanentError('TooLarge', `document larger than ${maxBytes} bytes`);
    }
    pieces.push(piece);
  }
  return Buffer.concat(pieces).toString('utf8');
}
