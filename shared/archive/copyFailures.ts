import { SourceExpiredError } from '../acs';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import type { ArchiveServices } from './archiveServices';
import { MAX_DEQUEUE_COUNT } from './chunkQueue';
import type { Manifest } from './manifest/manifest';
import { markFailed } from './manifest/marks';
import { settleRecording } from './settle';

/** What a failed chunk copy leaves in the manifest and the logs: a permanent outcome, or a transient one. */

export interface ChunkTag {
  callId: string;
  recordingKey: string;
  index: number;
}

/** Records a chunk that can never be archived (expired, refused) and settles the recording; the message completes. */
export async function recordPermanentFailure(
  services: ArchiveServices,
  tag: ChunkTag,
  failure: AppError,
  attempts: number,
  log: Logger,
): Promise<'failed'> {
  const status = failure instanceof SourceExpiredError ? 'expired' : 'failed';
  let previousStatus: Manifest['status'] | null = null;
  const written = await services.store.updateManifest(tag.callId, tag.recordingKey, (current) => {
    previousStatus = current?.status ?? null;
    return current
      ? markFailed(
          current,
          tag.index,
          { status, failureCode: failure.code, error: failure.message, attempts },
          services.now(),
        )
      : null;
  });
  logEvent(log, 'error', 'ChunkFailed', { ...tag, status, failureCode: failure.code, error: failure.message });
  if (written.manifest) {
    await settleRecording(services, { manifest: written.manifest, etag: written.etag }, previousStatus, log);
  }
  return 'failed';
}

/** Records a transient failure on the still pending chunk; the caller rethrows, so the queue brings it again. */
export async function recordTransientFailure(
  services: ArchiveServices,
  manifest: Manifest,
  tag: ChunkTag,
  failure: Error,
  attempts: number,
  delivery: { dequeueCount: number },
  log: Logger,
): Promise<void> {
  const failureCode = failure instanceof AppError ? failure.code : 'Unexpected';
  await services.store
    .updateManifest(tag.callId, tag.recordingKey, (current) =>
      current
        ? markFailed(
            current,
            tag.index,
            { status: 'pending', failureCode, error: failure.message, attempts },
            services.now(),
          )
        : null,
    )
    .catch(() => undefined);
  if (delivery.dequeueCount >= MAX_DEQUEUE_COUNT) {
    // The Functions host moves this message to the poison queue now; the chunk stays pending, and the sweeper
    // enqueues it again until its deadline. Say loudly which recording is at risk and until when.
    logEvent(log, 'error', 'ChunkPoisoned', {
      ...tag,
      dequeueCount: delivery.dequeueCount,
      failureCode,
      error: failure.message,
      deadline: manifest.deadline,
    });
  } else {
    logEvent(log, 'warn', 'ChunkRetrying', {
      ...tag,
      dequeueCount: delivery.dequeueCount,
      maxDequeueCount: MAX_DEQUEUE_COUNT,
      failureCode,
      error: failure.message,
      deadline: manifest.deadline,
    });
  }
}
