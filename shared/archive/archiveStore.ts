import type { ContainerClient } from '@azure/storage-blob';
import { RetryableError } from '../errors';
import type { Manifest } from './manifest';
import { manifestBlobName, pendingMarkerName, rejectedBlobName } from './naming';

/**
 * The archive container's bookkeeping: manifests (read-modify-write under ETag conditions, so concurrent writers
 * never lose each other's changes), pending markers (what the sweeper re-drives) and rejected events.
 */
export class ArchiveStore {
  private ready: Promise<unknown> | undefined;

  constructor(readonly container: ContainerClient) {}

  /** Creates the container if it is missing, once per process (SPEC section 6). */
  async ensureContainer(): Promise<void> {
    this.ready ??= this.container.createIfNotExists().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
  }

  async readManifest(callId: string, recordingKey: string): Promise<{ manifest: Manifest; etag: string } | null> {
    const blob = this.container.getBlockBlobClient(manifestBlobName(callId, recordingKey));
    try {
      const response = await blob.download();
      const text = await streamToText(response.readableStreamBody, 64 * 1024 * 1024);
      return { manifest: JSON.parse(text) as Manifest, etag: response.etag ?? '' };
    } catch (error) {
      if (statusCode(error) === 404) return null;
      throw error;
    }
  }

  /**
   * Applies `change` to the current manifest and writes the result only if nobody wrote in between (ETag); on a
   * conflict it reads again and re-applies. `change` returns null to leave the manifest as it is.
   */
  async updateManifest(
    callId: string,
    recordingKey: string,
    change: (current: Manifest | null) => Manifest | null,
  ): Promise<Manifest | null> {
    const blob = this.container.getBlockBlobClient(manifestBlobName(callId, recordingKey));
    for (let attempt = 1; attempt <= 50; attempt++) {
      const current = await this.readManifest(callId, recordingKey);
      const next = change(current ? current.manifest : null);
      if (next === null) return current ? current.manifest : null;
      const body = JSON.stringify(next, null, 2);
      try {
        await blob.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
        });
        return next;
      } catch (error) {
        const status = statusCode(error);
        if (status === 412 || status === 409) continue; // someone else wrote first: merge again
        throw error;
      }
    }
    throw new RetryableError(
      'ManifestContention',
      `manifest of ${callId}/${recordingKey} kept changing under 50 attempts`,
    );
  }

  async markPending(callId: string, recordingKey: string): Promise<void> {
    const blob = this.container.getBlockBlobClient(pendingMarkerName(callId, recordingKey));
    await blob.upload('', 0);
  }

  async clearPending(callId: string, recordingKey: string): Promise<void> {
    await this.container.getBlockBlobClient(pendingMarkerName(callId, recordingKey)).deleteIfExists();
  }

  /** Every recording that has a pending marker: `{callId, recordingKey, since}`. */
  async *pendingRecordings(): AsyncIterable<{ callId: string; recordingKey: string; since: Date | undefined }> {
    for await (const item of this.container.listBlobsFlat({ prefix: '_pending/' })) {
      const [, callId, recordingKey, ...rest] = item.name.split('/');
      if (!callId || !recordingKey || rest.length > 0) continue;
      yield { callId, recordingKey, since: item.properties.lastModified };
    }
  }

  /** Writes a rejection record; a record already there (the same event again) is left as it is. */
  async writeRejection(record: { reason: string; receivedAt: string; event: unknown }, name: string): Promise<string> {
    const blobName = rejectedBlobName(new Date(record.receivedAt), name);
    const body = JSON.stringify(record, null, 2);
    try {
      await this.container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        conditions: { ifNoneMatch: '*' },
      });
    } catch (error) {
      const status = statusCode(error);
      if (status !== 409 && status !== 412) throw error;
    }
    return blobName;
  }
}

export function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as { statusCode?: number }).statusCode
    : undefined;
}

export async function streamToText(stream: NodeJS.ReadableStream | undefined, maxBytes: number): Promise<string> {
  if (!stream) return '';
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > maxBytes) throw new RetryableError('TooLarge', `document larger than ${maxBytes} bytes`);
    pieces.push(piece);
  }
  return Buffer.concat(pieces).toString('utf8');
}
