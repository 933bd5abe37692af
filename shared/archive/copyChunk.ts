import { AccessDeniedError, redactUrl } from '../acs';
import { BadInputError, PermanentError, RetryableError, toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { safeText } from '../text';
import { ChunkLease } from './chunkLease';
import { parseChunkMessage, type ChunkMessage } from './chunkQueue';
import { copyFileToBlob } from './copy/copyFile';
import { recordPermanentFailure, recordTransientFailure, type ChunkTag } from './copyFailures';
import { crashPoint } from './crashPoints';
import { deleteSource } from './deleteSource';
import { chunkFormatOf } from './manifest/formats';
import { type Manifest, type ManifestChunk } from './manifest/manifest';
import { metadataFacts, type MetadataFacts } from './metadataFacts';
import { indexParticipants } from './participantIndex';
import { archiveInPlace, isInPlaceCandidate } from './inPlace/archiveInPlace';
import { copyMetadataToBlob } from './copy/metadataFile';
import { chunkBlobName, formatFor, mimeTypeFor, type MediaFormat } from '../recording';
import { settleRecording } from './settle';
import { ensureContainers, type ArchiveServices } from './archiveServices';
import { markArchived, markFormatFixed } from './manifest/marks';

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
    // Bring your own storage: ACS wrote the files into the customer's container; verified there, they are not copied.
    if (isInPlaceCandidate(manifest, chunk)) {
      const inPlace = await archiveInPlace(services, manifest, chunk, { signal, delivery, log });
      if (inPlace !== 'copy') return inPlace;
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
    const facts = metadataFacts(metadataFile.text);
    if (facts.problems.length > 0) {
      log.warn(
        `${tag.callId}/${tag.recordingKey} chunk ${tag.index}: metadata participants: ${facts.problems.join('; ')}`,
      );
    }
    const { participants, channels } = facts;
    await indexParticipants(services.control, manifest, participants, log);
    const fixed = await fixChunkFormat(services, tag, facts, log);
    target = chunk.contentLocation;
    const copied = await copyFileToBlob({
      source,
      blob: store.container.getBlockBlobClient(fixed.blob),
      location: chunk.contentLocation,
      documentId: chunk.documentId,
      contentType: fixed.contentType,
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
        { size: copied.size, sha256: copied.sha256, md5: copied.md5, attempts, participants, channels },
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

/**
 * Fixes the chunk's extension in the manifest before its content is copied (the events' format, else its metadata
 * file's, else the recording's, else `bin`), so that a resumed or duplicate copy stages under the same name whatever
 * later events say. Returns the blob name and content type to copy to.
 */
async function fixChunkFormat(
  services: ArchiveServices,
  tag: ChunkTag,
  facts: MetadataFacts,
  log: Logger,
): Promise<{ blob: string; format: MediaFormat; contentType: string }> {
  let fixed: { blob: string; format: MediaFormat; contentType: string } | undefined;
  await services.store.updateManifest(tag.callId, tag.recordingKey, (current) => {
    const entry = current?.chunks.find((c) => c.index === tag.index);
    if (!current || !entry) {
      throw new RetryableError('ManifestMissing', `manifest of ${tag.callId}/${tag.recordingKey} is gone`);
    }
    const format = chunkFormatOf(current, entry, facts.format);
    fixed = {
      format,
      blob: entry.format ? entry.blob : chunkBlobName(tag.callId, tag.recordingKey, tag.index, format),
      contentType: mimeTypeFor(format, current.contentType ?? facts.contentType),
    };
    return markFormatFixed(current, tag.index, { format, metadataFormat: facts.format }, services.now());
  });
  const own = formatFor(facts.format);
  if (own !== null && own !== fixed!.format) {
    log.warn(
      `${tag.callId}/${tag.recordingKey} chunk ${tag.index}: its metadata file says ${safeText(facts.format, 20)}, the events say otherwise: archived as ${fixed!.blob}`,
    );
  }
  return fixed!;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
