import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { PermanentError, RetryableError } from '../errors';
import { statusCode, streamToText } from '../storage';
import { callRecordFromJson, type CallRecord } from './callRecord';

export interface StoredCall {
  record: CallRecord;
  etag: string;
  /** The blob it was read from (a first-version record keeps its old name until the call is done). */
  blobName: string;
}

/** Records are small; anything larger was not written by this app and is not parsed. */
const MAX_RECORD_BYTES = 256 * 1024;

/** A first-version blob name was `calls/{serverCallId}.json`, written only for base64url ids. */
const LEGACY_SAFE_ID = /^[A-Za-z0-9_-]{1,1024}$/;

/** `calls/{sha256hex(id)}.json`: the id is opaque (it may hold '/', '+', '='), so it never names a blob itself. */
export function callBlobName(callKey: string): string {
  return `calls/${createHash('sha256').update(callKey, 'utf8').digest('hex')}.json`;
}

/**
 * One JSON blob per call in the control container. Writes are conditional (ifNoneMatch '*' to create, ifMatch ETag
 * to replace), so two instances cannot both claim a call or overwrite each other's change.
 */
export class CallStore {
  constructor(private readonly container: ContainerClient) {}

  /** The call's record; for a call started before the upgrade, the first-version record. */
  async get(callKey: string): Promise<StoredCall | undefined> {
    const current = await this.read(callBlobName(callKey));
    if (current || !LEGACY_SAFE_ID.test(callKey)) return current;
    return this.read(`calls/${callKey}.json`);
  }

  /** Creates the record; undefined when another writer created it first. */
  async create(record: CallRecord): Promise<StoredCall | undefined> {
    return this.write(callBlobName(record.locator.id), record, { ifNoneMatch: '*' });
  }

  /** Replaces the record if unchanged since it was read; undefined when someone else changed it. */
  async replace(stored: StoredCall, record: CallRecord): Promise<StoredCall | undefined> {
    return this.write(stored.blobName, record, { ifMatch: stored.etag });
  }

  private async read(blobName: string): Promise<StoredCall | undefined> {
    let text: string;
    let etag: string;
    try {
      // NOTE: one download gives the bytes and the ETag of the same version (no read-then-stat race).
      const response = await this.container.getBlockBlobClient(blobName).download();
      etag = response.etag ?? '';
      text = await streamToText(response.readableStreamBody, MAX_RECORD_BYTES);
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      if (error instanceof PermanentError && error.code === 'TooLarge') {
        throw new RetryableError(
          'CallRecordTooLarge',
          `The call record ${blobName} is larger than any this app writes`,
        );
      }
      throw storageError(error);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RetryableError('CallRecordUnreadable', `The call record ${blobName} is not JSON`);
    }
    return { record: callRecordFromJson(parsed), etag, blobName };
  }

  private async write(
    blobName: string,
    record: CallRecord,
    conditions: { ifNoneMatch?: string; ifMatch?: string },
  ): Promise<StoredCall | undefined> {
    const body = JSON.stringify(record, null, 2);
    try {
      const response = await this.container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), {
        conditions,
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return { record, etag: response.etag ?? '', blobName };
    } catch (error) {
      const status = statusCode(error);
      if (status === 409 || status === 412) return undefined;
      throw storageError(error);
    }
  }
}

function storageError(error: unknown): RetryableError {
  const status = statusCode(error);
  return new RetryableError('StorageUnavailable', `Control store unavailable${status ? ` (${status})` : ''}`, {
    cause: error,
  });
}
