import type { BlobLeaseClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../logger';
import { statusCode } from '../storage';
import { chunkLeaseName, chunkLeasePrefix } from '../recording';

/**
 * One copier per chunk: a blob lease on `leases/{callId}/{recordingKey}/{index}` in the control container, renewed
 * while the copy runs, so different chunks of one recording copy at once on any instance while duplicates of one
 * chunk wait. A crashed holder's lease expires within `seconds`, then anyone may take over. When a renewal fails the
 * holder's `signal` aborts and it stops writing. The holder deletes the blob when it is done (which ends the lease);
 * what a crashed holder left is deleted when the recording's manifest becomes final.
 */
export class ChunkLease {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly blob: BlockBlobClient,
    private readonly lease: BlobLeaseClient,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The lease, or null when another copier holds it. */
  static async tryAcquire(
    control: ContainerClient,
    chunk: { callId: string; recordingKey: string; index: number },
    seconds: number,
    log: Logger,
  ): Promise<ChunkLease | null> {
    const blob = control.getBlockBlobClient(chunkLeaseName(chunk.callId, chunk.recordingKey, chunk.index));
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      const status = statusCode(error);
      if (status !== 409 && status !== 412) throw error;
    }
    const lease = blob.getBlobLeaseClient();
    try {
      await lease.acquireLease(seconds);
    } catch (error) {
      // 404: the holder deleted the blob between our create and acquire: it is done, or will be taken over later.
      if (statusCode(error) === 409 || statusCode(error) === 404) return null;
      throw error;
    }
    const held = new ChunkLease(blob, lease, log, `${chunk.callId}/${chunk.recordingKey} chunk ${chunk.index}`);
    held.timer = setInterval(() => void held.renew(), (seconds * 1000) / 3);
    held.timer.unref();
    return held;
  }

  private async renew(): Promise<void> {
    try {
      await this.lease.renewLease();
    } catch (error) {
      this.log.error(
        `Lost the copy lease of ${this.what} (status ${statusCode(error) ?? 'unknown'}); stopping this copy`,
      );
      clearInterval(this.timer);
      this.controller.abort(new Error('copy lease lost'));
    }
  }

  /** Deletes the leased blob, which ends the lease. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.blob.delete({ conditions: { leaseId: this.lease.leaseId } });
    } catch {
      // An expired or lost lease needs no release; a blob left behind is deleted with the recording's other leases.
    }
  }
}

/** Deletes the lease blobs of a recording whose manifest is final; a blob a copier still holds is left alone. */
export async function deleteRecordingLeases(
  control: ContainerClient,
  recording: { callId: string; recordingKey: string },
): Promise<void> {
  for await (const item of control.listBlobsFlat({
    prefix: chunkLeasePrefix(recording.callId, recording.recordingKey),
  })) {
    await control.deleteBlob(item.name).catch(() => undefined);
  }
}

/** Whether some copier holds the chunk's lease right now (the sweeper does not re-enqueue those). */
export async function isChunkLeased(
  control: ContainerClient,
  chunk: { callId: string; recordingKey: string; index: number },
): Promise<boolean> {
  try {
    const props = await control
      .getBlockBlobClient(chunkLeaseName(chunk.callId, chunk.recordingKey, chunk.index))
      .getProperties();
    return props.leaseState === 'leased';
  } catch (error) {
    if (statusCode(error) === 404) return false;
    throw error;
  }
}
