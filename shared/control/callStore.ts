import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { RecordingApiDialect } from '../config';
import { RetryableError } from '../errors';

export type RecordingState = 'starting' | 'active' | 'paused' | 'stopped' | 'failed';

export interface CallRecord {
  serverCallId: string;
  recordingId: string | null;
  state: RecordingState;
  dialect: RecordingApiDialect;
  createdAt: string;
  updatedAt: string;
  /** Why the last change happened (e.g. "CallStarted event", "API request", "state callback"). */
  reason: string;
  history: Array<{ state: RecordingState; at: string; reason: string }>;
}

export interface StoredCall {
  record: CallRecord;
  etag: string;
}

/**
 * One JSON blob per serverCallId in the control container. Writes are conditional (ifNoneMatch '*' to create,
 * ifMatch ETag to update) so two app instances cannot both claim the same call.
 */
export class CallStore {
  constructor(private readonly container: ContainerClient) {}

  private blob(serverCallId: string) {
    return this.container.getBlockBlobClient(`calls/${serverCallId}.json`);
  }

  async get(serverCallId: string): Promise<StoredCall | undefined> {
    try {
      // NOTE: one download gives the bytes and the ETag of the same version (no read-then-stat race).
      const response = await this.blob(serverCallId).download();
      const text = await new Response(response.readableStreamBody as unknown as ReadableStream).text();
      return { record: JSON.parse(text) as CallRecord, etag: response.etag ?? '' };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw storageError(error);
    }
  }

  /** Creates the record; undefined when another writer created it first. */
  async create(record: CallRecord): Promise<StoredCall | undefined> {
    return this.write(record, { ifNoneMatch: '*' });
  }

  /** Replaces the record if unchanged since `etag`; undefined when someone else changed it. */
  async replace(record: CallRecord, etag: string): Promise<StoredCall | undefined> {
    return this.write(record, { ifMatch: etag });
  }

  private async write(
    record: CallRecord,
    conditions: { ifNoneMatch?: string; ifMatch?: string },
  ): Promise<StoredCall | undefined> {
    const body = JSON.stringify(record, null, 2);
    try {
      const response = await this.blob(record.serverCallId).upload(body, Buffer.byteLength(body), {
        conditions,
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return { record, etag: response.etag ?? '' };
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)) return undefined;
      throw storageError(error);
    }
  }
}

/** A record moved to `state`, with the change in its history. */
export function withState(record: CallRecord, state: RecordingState, reason: string, now = new Date()): CallRecord {
  const at = now.toISOString();
  return { ...record, state, reason, updatedAt: at, history: [...record.history, { state, at, reason }] };
}

function storageError(error: unknown): RetryableError {
  const status = error instanceof RestError ? error.statusCode : undefined;
  return new RetryableError('StorageUnavailable', `Control store unavailable${status ? ` (${status})` : ''}`, {
    cause: error,
  });
}
