import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import type { Logger } from '../logger';
import { statusCode } from './archiveStore';
import { lockBlobName } from './naming';

/**
 * One invocation copies a recording at a time: it holds a blob lease on `_locks/{callId}/{recordingKey}`, renewed
 * while it works. A crashed holder's lease expires within a minute, so a redelivery or the sweeper can take over.
 * When renewal fails the holder's `signal` aborts, and it stops writing.
 */
export class RecordingLock {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly lease: BlobLeaseClient,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The lock, or null when another invocation holds it. */
  static async tryAcquire(
    container: ContainerClient,
    callId: string,
    recordingKey: string,
    log: Logger,
    leaseSeconds = 60,
  ): Promise<RecordingLock | null> {
    const blob = container.getBlockBlobClient(lockBlobName(callId, recordingKey));
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      const status = statusCode(error);
      if (status !== 409 && status !== 412) throw error;
    }
    const lease = blob.getBlobLeaseClient();
    try {
      await lease.acquireLease(leaseSeconds);
    } catch (error) {
      if (statusCode(error) === 409) return null;
      throw error;
    }
    const lock = new RecordingLock(lease, log, `${callId}/${recordingKey}`);
    lock.timer = setInterval(() => void lock.renew(), (leaseSeconds * 1000) / 3);
    lock.timer.unref();
    return lock;
  }

  private async renew(): Promise<void> {
    try {
      await this.lease.renewLease();
    } catch (error) {
      this.log.error(
        `Lost the archive lock of ${this.what} (status ${statusCode(error) ?? 'unknown'}); stopping this copy`,
      );
      clearInterval(this.timer);
      this.controller.abort(new Error('archive lock lost'));
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.lease.releaseLease();
    } catch {
      // An expired or lost lease needs no release.
    }
  }
}
