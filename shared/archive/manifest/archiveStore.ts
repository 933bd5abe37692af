import type { ContainerClient } from '@azure/storage-blob';
import { PermanentError, RetryableError } from '../../errors';
import { statusCode, streamToText } from '../../storage';
import { upgradeManifest, type Manifest } from './manifest';
import { manifestBlobName, rejectedBlobName } from '../../recording';

/** A manifest is kilobytes; a recording with every one of its 10,000 possible chunks stays far below this. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export interface StoredManifest {
  manifest: Manifest;
  etag: string;
}

/**
 * The archive container (output only: it may be immutable): manifests, read-modify-written under ETag conditions
 * so concurrent writers never lose each other's changes, and records of rejected events.
 */
export class ArchiveStore {
  constructor(readonly container: ContainerClient) {}

  async readManifest(callId: string, recordingKey: string): Promise<StoredManifest | null> {
    const blob = this.container.getBlockBlobClient(manifestBlobName(callId, recordingKey));
    let text: string;
    let etag: string;
    try {
      const response = await blob.download();
      text = await streamToText(response.readableStreamBody, MAX_MANIFEST_BYTES);
      etag = response.etag ?? '';
    } catch (error) {
      if (statusCode(error) === 404) return null;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PermanentError('ManifestUnreadable', `manifest of ${callId}/${recordingKey} is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as Manifest).chunks)) {
      throw new PermanentError('ManifestUnreadable', `manifest of ${callId}/${recordingKey} has no chunks list`);
    }
    return { manifest: upgradeManifest(parsed as Manifest), etag };
  }

  /**
   * Applies `change` to the current manifest and writes the result only if nobody wrote in between (ETag); on a
   * conflict it reads again and re-applies. `change` returns null to leave the manifest as it is.
   */
  async updateManifest(
    callId: string,
    recordingKey: string,
    change: (current: Manifest | null) => Manifest | null,
  ): Promise<{ manifest: Manifest | null; etag: string | null; written: boolean }> {
    const blob = this.container.getBlockBlobClient(manifestBlobName(callId, recordingKey));
    for (let attempt = 1; attempt <= 50; attempt++) {
      const current = await this.readManifest(callId, recordingKey);
      const next = change(current ? current.manifest : null);
      if (next === null) return { manifest: current?.manifest ?? null, etag: current?.etag ?? null, written: false };
      const body = JSON.stringify(next, null, 2);
      try {
        const response = await blob.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
        });
        return { manifest: next, etag: response.etag ?? '', written: true };
      } catch (error) {
        const status = statusCode(error);
        if (status !== 412 && status !== 409) throw error;
        // Someone else wrote first: wait a moment (parallel chunk copiers update one manifest) and merge again.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, attempt * 20)));
      }
    }
    throw new RetryableError(
      'ManifestContention',
      `manifest of ${callId}/${recordingKey} kept changing under 50 attempts`,
    );
  }

  /** Every manifest in the archive (optionally of one call), as blob listing finds them. */
  async *manifestRefs(callId?: string): AsyncIterable<{ callId: string; recordingKey: string }> {
    for await (const item of this.container.listBlobsFlat({ prefix: callId ? `${callId}/` : undefined })) {
      const parts = item.name.split('/');
      if (parts.length !== 3 || parts[2] !== 'manifest.json' || item.name.startsWith('_')) continue;
      yield { callId: parts[0]!, recordingKey: parts[1]! };
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
