import { AccessDeniedError, DeleteRefusedError, redactUrl, SourceExpiredError } from '../acs';
import { AppError, BadInputError, PermanentError, RetryableError, toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { safeText } from '../text';
import { ChunkLease } from './chunkLease';
import { MAX_DEQUEUE_COUNT, parseChunkMessage, type ChunkMessage } from './chunkQueue';
import { copyFileToBlob } from './copy/copyFile';
import { crashPoint } from './crashPoints';
import { type Manifest, type ManifestChunk } from './manifest/manifest';
import { indexParticipants } from './participantIndex';
import { participantsFromMetadata } from './participantsFromMetadata';
import { copyMetadataToBlob } from './copy/metadataFile';
import { mimeTypeFor } from '../recording';
import { settleRecording } from './settle';
import { ensureContainers, type ArchiveServices } from './archiveServices';
import { markArchived, markFailed } from './manifest/marks';

/** What happened to one queue message. */
export type CopyOutcome =
  | 'archived' // copied and verified now
  | 'done' // nothing to do: archived, failed or unknown already
  | 'busy' // another copier holds the chunk: re-enqueued for later
  | 'failed' // can never be archived (recorded in the manifest)
  | 'discarded'; // not a chunk message at all

/**
 * One queue message `{callId, recordingKey, index}`: copies that chunk's metadata and content into the archive,
 * verified, under a per-chunk lease, then records it in the manifest (conditional write); the copier of the last
 * chunk marks the recording complete. A transient failure throws, so the queue brings the message again
 * (host.json: visibilityTimeout, maxDequeueCount; then the poison queue, and the sweeper re-enqueues the chunk until
 * its deadline). A permanent one is recorded and the message completes.
 */
export async function copyChunk(
  services: ArchiveServices,
  rawMessage: unknown,
  delivery: { dequeueCount: number },
  log: Logger,
): Promise<CopyOutcome> {
  let message: ChunkMessage;
  try {
    message = parseChunkMessage(rawMessage);
  } catch (error) {
    // NOTE: completing it is safe: a real chunk stays pending in its manifest and the sweeper enqueues it again.
    log.error(
      `archiveChunk: discarded a message that names no chunk (${toError(error).message}): ${safeText(rawMessage, 200)}`,
    );
    return 'discarded';
  }
  await ensureContainers(services);
  const { callId, recordingKey, index } = message;
  const found = await services.store.readManifest(callId, recordingKey);
  const chunk = found?.manifest.chunks.find((c) => c.index === index);
  if (!found || !chunk) {
    log.warn(`archiveChunk: no manifest entry for ${callId}/${recordingKey} chunk ${index}; nothing to copy`);
    return 'done';
  }
  if (chunk.status !== 'pending') return 'done';

  const lease = await ChunkLease.tryAcquire(services.control, message, services.config.archive.lockSeconds, log);
  if (!lease) {
    // Another copier has it. Look again once its lease could have expired: if it crashed, this message takes over.
    await services.queue.enqueue([message], { delaySeconds: services.config.archive.lockSeconds + 5 });
    log.info(`archiveChunk: ${callId}/${recordingKey} chunk ${index} is being copied elsewhere; checking again later`);
    return 'busy';
  }
  try {
    // Read again under the lease: a duplicate that got it just after the previous holder released it finds the
    // chunk done and does nothing more.
    const current = await services.store.readManifest(callId, recordingKey);
    const leased = current?.manifest.chunks.find((c) => c.index === index);
    if (!current || leased?.status !== 'pending') return 'done';
    return await copyLeased(services, current.manifest, leased, lease.signal, delivery, log);
  } finally {
    await lease.release();
  }
}

async function copyLeased(
  services: ArchiveServices,
  manifest: Manifest,
  chunk: ManifestChunk,
  signal: AbortSignal,
  delivery: { dequeueCount: number },
  log: Logger,
): Promise<CopyOutcome> {
  const { source, store, config } = services;
  const tag = { callId: manifest.callId, recordingKey: manifest.recordingKey, index: chunk.index };
  const started = Date.now();
  let attempts = 0;
  const onRetry = (error: Error, attempt: number, delayMs: number) =>
    log.warn(
      `${tag.callId}/${tag.recordingKey} chunk ${tag.index}: attempt ${attempt} failed (${error.message}); retrying in ${Math.round(delayMs)} ms`,
    );
  let target = chunk.contentLocation ?? '';
  try {
    if (!chunk.contentLocation || !chunk.metadataLocation) {
      throw new PermanentError('NoLocation', chunk.lastError ?? 'no download location');
    }
    const blobMetadata = { documentid: chunk.documentId, chunkindex: String(chunk.index) };
    target = chunk.metadataLocation;
    const metadataFile = await copyMetadataToBlob({
      source,
      blob: store.container.getBlockBlobClient(chunk.metadataBlob),
      location: chunk.metadataLocation,
      documentId: chunk.documentId,
      metadata: blobMetadata,
      retry: services.retry,
      signal,
      onRetry,
    });
    attempts += metadataFile.attempts;
    // The participant index is part of archiving the chunk: written before the chunk is marked archived, so a crash
    // before it is repaired by the message's redelivery (the metadata blob is then read back, not downloaded).
    const { ids: participants, problems } = participantsFromMetadata(metadataFile.text);
    if (problems.length > 0) {
      log.warn(`${tag.callId}/${tag.recordingKey} chunk ${tag.index}: metadata participants: ${problems.join('; ')}`);
    }
    await indexParticipants(services.control, manifest, participants, log);
    target = chunk.contentLocation;
    const copied = await copyFileToBlob({
      source,
      blob: store.container.getBlockBlobClient(chunk.blob),
      location: chunk.contentLocation,
      documentId: chunk.documentId,
      contentType: mimeTypeFor(manifest.format, manifest.contentType),
      metadata: blobMetadata,
      blockSizeBytes: config.archive.blockSizeBytes,
      blocksInFlight: config.archive.blocksInFlight,
      retry: services.retry,
      signal,
      onRetry,
      onProgress: services.onProgress && ((staged, total) => services.onProgress?.({ ...tag, staged, total })),
    });
    attempts += copied.attempts;
    crashPoint('after-commit');
    let previousStatus: Manifest['status'] | null = null;
    const written = await store.updateManifest(tag.callId, tag.recordingKey, (current) => {
      if (!current)
        throw new RetryableError('ManifestMissing', `manifest of ${tag.callId}/${tag.recordingKey} is gone`);
      previousStatus = current.status;
      return markArchived(
        current,
        tag.index,
        { size: copied.size, sha256: copied.sha256, md5: copied.md5, attempts, participants },
        services.now(),
      );
    });
    const seconds = (Date.now() - started) / 1000;
    logEvent(log, 'info', 'ChunkArchived', {
      ...tag,
      bytes: copied.size,
      downloadedBytes: copied.downloadedBytes,
      seconds: round(seconds, 3),
      mbps: round(copied.downloadedBytes / 1e6 / Math.max(seconds, 1e-3), 1),
      attempts,
      dequeueCount: delivery.dequeueCount,
      alreadyArchived: copied.alreadyArchived,
    });
    if (written.manifest) {
      await settleRecording(services, { manifest: written.manifest, etag: written.etag }, previousStatus, log);
    }
    if (config.deleteSourceAfterArchive && chunk.deleteLocation) {
      await deleteSource(services, manifest, chunk, signal, log);
    }
    return 'archived';
  } catch (caught) {
    const failure = toError(caught);
    if (failure instanceof AccessDeniedError) {
      logEvent(log, 'error', 'AcsAccessDenied', {
        operation: 'download',
        status: failure.status,
        failureCode: failure.code,
        target: redactUrl(target),
      });
    }
    if (failure instanceof PermanentError || failure instanceof BadInputError) {
      return recordPermanentFailure(services, tag, failure, attempts, log);
    }
    await recordTransientFailure(services, manifest, tag, failure, attempts, delivery, log);
    throw failure;
  }
}

async function recordPermanentFailure(
  services: ArchiveServices,
  tag: { callId: string; recordingKey: string; index: number },
  failure: AppError,
  attempts: number,
  log: Logger,
): Promise<CopyOutcome> {
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

async function recordTransientFailure(
  services: ArchiveServices,
  manifest: Manifest,
  tag: { callId: string; recordingKey: string; index: number },
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

/** DELETE_SOURCE_AFTER_ARCHIVE: only after the verified commit; a refusal or failure is recorded, never fatal. */
async function deleteSource(
  services: ArchiveServices,
  manifest: Manifest,
  chunk: ManifestChunk,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const tag = `${manifest.callId}/${manifest.recordingKey} chunk ${chunk.index}`;
  let outcome: { sourceDeletedAt: string } | { sourceDeleteError: string };
  try {
    await services.source.delete(chunk.deleteLocation!, chunk.documentId, signal);
    outcome = { sourceDeletedAt: services.now().toISOString() };
    log.info(`${tag}: deleted from the recording store (${redactUrl(chunk.deleteLocation!)})`);
  } catch (error) {
    const message = toError(error).message;
    outcome = { sourceDeleteError: message };
    if (error instanceof AccessDeniedError) {
      logEvent(log, 'error', 'AcsAccessDenied', {
        operation: 'delete',
        status: error.status,
        failureCode: error.code,
        target: redactUrl(chunk.deleteLocation!),
      });
    }
    // The archive is safe either way; the source expires on its own.
    if (error instanceof DeleteRefusedError) log.error(`${tag}: archived, but the source was not deleted: ${message}`);
    else log.warn(`${tag}: archived, but the source was not deleted: ${message}`);
  }
  await services.store
    .updateManifest(manifest.callId, manifest.recordingKey, (current) => {
      const next = current && structuredClone(current);
      const entry = next?.chunks.find((c) => c.index === chunk.index);
      if (!next || !entry) return null;
      Object.assign(entry, outcome);
      return next;
    })
    .catch((error: unknown) => log.warn(`${tag}: could not record the source deletion: ${toError(error).message}`));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
