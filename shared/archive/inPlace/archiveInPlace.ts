import { errorCode } from '../../acs';
import { AppError, RetryableError, toError } from '../../errors';
import type { Logger } from '../../logger';
import { chunkFormatOf } from '../manifest/formats';
import type { Manifest, ManifestChunk } from '../manifest/manifest';
import { metadataFacts } from '../metadataFacts';
import { indexParticipants } from '../participantIndex';
import { settleRecording } from '../settle';
import type { ArchiveServices } from '../archiveServices';
import { logEvent } from '../../telemetry';
import { safeText } from '../../text';
import { statusCode } from '../../storage';
import { customerContainerFor, plainBlobUrl, type CustomerContainer } from './customerContainer';
import { findChunkFiles, hashCustomerBlob, readCustomerMetadata, type CustomerFile } from './customerFiles';
import { markInPlaceFallback, markInPlaceWaiting, markVerifiedInPlace } from './inPlaceMarks';
import { storeAnswerFor, type StoreAnswer } from './storeSize';

export { isInPlaceCandidate } from './inPlaceMarks';

/**
 * A chunk of a recording ACS made into the customer's own container (bring your own storage): its files are already
 * there, so they are verified and indexed where they are instead of being copied a second time. The media is
 * streamed once from the customer's container and hashed (SHA-256, MD5); its size must equal the customer's listing,
 * the bytes read, and what the ACS store declares for the chunk (asked with a one-byte range request, whose byte is
 * compared with the last byte read); the metadata file is read there too (size against the store's, SHA-256) and its
 * participants indexed. Nothing is ever written into the customer's container.
 *
 * Outcomes: `archived` (the manifest records the chunk at its URL, `location: external`), `busy` (the first look found
 * nothing: the message comes back one lease period later for a second and last look) or `copy` (not there after
 * that, unreadable, or not what the store declares: the caller copies it from the ACS store as for any recording,
 * and the manifest says why in `inPlaceFallback`); `done` when the chunk was settled meanwhile. Whatever fails here
 * (the customer's container, or the store's size checks after their retries) makes the chunk a copy: in-place
 * verification can spare a copy, never stall or lose a chunk.
 */
export async function archiveInPlace(
  services: ArchiveServices,
  manifest: Manifest,
  chunk: ManifestChunk,
  context: { signal: AbortSignal; delivery: { dequeueCount: number }; log: Logger },
): Promise<'archived' | 'busy' | 'done' | 'copy'> {
  const { log, signal } = context;
  const contentLocation = chunk.contentLocation;
  const metadataLocation = chunk.metadataLocation;
  if (!contentLocation || !metadataLocation) return 'copy'; // the copy path records the missing location
  const tag = { callId: manifest.callId, recordingKey: manifest.recordingKey, index: chunk.index };
  const name = `${tag.callId}/${tag.recordingKey} chunk ${tag.index}`;
  const started = Date.now();
  let customer: CustomerContainer | null;
  try {
    customer = customerContainerFor(services.config);
  } catch (error) {
    return fallBack(services, tag, toError(error).message, log);
  }
  if (!customer) {
    // Intake already warned once for the recording; the manifest still says, per chunk, why it was copied.
    const reason = 'RECORDING_EXTERNAL_STORAGE_URL is not set: the customer container is unknown';
    return fallBack(services, tag, reason, null);
  }
  const onRetry = (error: Error, attempt: number, delayMs: number) =>
    log.warn(
      `${name}: the ACS store failed (attempt ${attempt}: ${error.message}); retrying in ${Math.round(delayMs)} ms`,
    );

  let located;
  try {
    located = await findChunkFiles(customer, manifest, chunk, signal);
  } catch (error) {
    return fallBack(services, tag, `the customer container could not be listed (${storageFailure(error)})`, log);
  }
  const waiting = 'missing' in located || ('found' in located && located.found.content.size === 0);
  if (waiting && !chunk.inPlaceWaitingSince) {
    // ACS announces a BYOS recording once its export succeeded, so the files should be there; a second look one lease
    // period later covers a write that lands just after the event, and then the store's copy is archived instead.
    const written = await services.store.updateManifest(tag.callId, tag.recordingKey, (current) =>
      current ? markInPlaceWaiting(current, tag.index, services.now()) : null,
    );
    if (!written.written) return 'done'; // no longer pending: settled meanwhile
    await services.queue.enqueue([tag], { delaySeconds: services.config.archive.lockSeconds + 5 });
    log.info(`${name}: not (yet) in the customer container; looking once more in a moment`);
    return 'busy';
  }
  if ('missing' in located) return fallBack(services, tag, `not in the customer container: ${located.missing}`, log);
  if ('ambiguous' in located) return fallBack(services, tag, located.ambiguous, log);
  const { content, metadata } = located.found;
  if (content.size === 0) return fallBack(services, tag, `${content.name} is empty in the customer container`, log);

  let attempts = 0;
  // The store's size checks: a store that cannot answer them (after the usual retries) makes the chunk a copy, never
  // a stalled chunk: the copy path then meets the store as it always does.
  const askStore = async (location: string, customerSize: number): Promise<StoreAnswer | string> => {
    try {
      const answer = await storeAnswerFor({
        source: services.source,
        location,
        documentId: chunk.documentId,
        customerSize,
        retry: services.retry,
        signal,
        onRetry,
      });
      attempts += answer.requests;
      return answer;
    } catch (error) {
      const failure = toError(error);
      if (signal.aborted) throw failure;
      return `the ACS store did not answer the size check (${failure instanceof AppError ? failure.code : 'error'})`;
    }
  };
  const contentAnswer = await askStore(contentLocation, content.size);
  if (typeof contentAnswer === 'string') return fallBack(services, tag, contentAnswer, log);
  const contentProblem = sizeProblem(contentAnswer, content);
  if (contentProblem) return fallBack(services, tag, contentProblem, log);

  let hashed;
  let meta;
  try {
    hashed = await hashCustomerBlob(customer.container, content, signal);
    meta = await readCustomerMetadata(customer.container, metadata, signal);
  } catch (error) {
    if (signal.aborted) throw toError(error);
    return fallBack(services, tag, `the customer container could not be read (${storageFailure(error)})`, log);
  }
  const readProblem =
    hashed.size !== content.size
      ? `${content.name}: read ${hashed.size} bytes, its listing says ${content.size}`
      : content.contentMD5 && content.contentMD5 !== hashed.md5
        ? `${content.name}: its Content-MD5 does not match its bytes`
        : contentAnswer.kind === 'declared' &&
            contentAnswer.lastByte !== null &&
            contentAnswer.lastByte !== hashed.lastByte
          ? `${content.name}: its last byte differs from the ACS store's`
          : null;
  if (readProblem) return fallBack(services, tag, readProblem, log);

  const metadataAnswer = await askStore(metadataLocation, Math.max(1, meta.size));
  if (typeof metadataAnswer === 'string') return fallBack(services, tag, metadataAnswer, log);
  const metadataProblem = sizeProblem(metadataAnswer, metadata);
  if (metadataProblem) return fallBack(services, tag, metadataProblem, log);

  // The participant index is part of archiving the chunk: written before the chunk is marked archived.
  const facts = metadataFacts(meta.text);
  if (facts.problems.length > 0) log.warn(`${name}: metadata participants: ${facts.problems.join('; ')}`);
  await indexParticipants(services.control, manifest, facts.participants, log);
  const expected = chunkFormatOf(manifest, chunk, facts.format);
  if (expected !== content.format) {
    log.warn(
      `${name}: the events or its metadata file say ${expected}; ACS wrote ${content.name}, which keeps its name`,
    );
  }
  if (contentAnswer.kind === 'gone') {
    log.warn(`${name}: the ACS store no longer has the chunk, so its size was compared with nothing but the listing`);
  }
  let previousStatus: Manifest['status'] | null = null;
  const written = await services.store.updateManifest(tag.callId, tag.recordingKey, (current) => {
    if (!current) throw new RetryableError('ManifestMissing', `manifest of ${tag.callId}/${tag.recordingKey} is gone`);
    previousStatus = current.status;
    return markVerifiedInPlace(
      current,
      tag.index,
      {
        content: {
          ...hashed,
          name: content.name,
          url: plainBlobUrl(customer.container, content.name),
          format: content.format,
        },
        metadata: {
          name: metadata.name,
          url: plainBlobUrl(customer.container, metadata.name),
          size: meta.size,
          sha256: meta.sha256,
        },
        sourceSize: contentAnswer.kind === 'declared' ? contentAnswer.size : null,
        attempts,
        participants: facts.participants,
        channels: facts.channels,
        metadataFormat: facts.format,
        sourceDeleteError:
          services.config.deleteSourceAfterArchive && chunk.deleteLocation
            ? 'not deleted: the chunk is archived in place in the customer container, and whether its deleteLocation removes the files there too is not documented (the store removes its own copy after its retention time)'
            : null,
      },
      services.now(),
    );
  });
  if (!written.written) return 'done'; // no longer pending: settled meanwhile (the sweeper, past its deadline)
  const seconds = (Date.now() - started) / 1000;
  const storeBytes =
    (contentAnswer.kind === 'declared' ? contentAnswer.bytes : 0) +
    (metadataAnswer.kind === 'declared' ? metadataAnswer.bytes : 0);
  log.info(
    `${name}: verified in place at ${plainBlobUrl(customer.container, content.name)} (${hashed.size} bytes, sha256 ${hashed.sha256})`,
  );
  logEvent(log, 'info', 'ChunkArchived', {
    ...tag,
    bytes: hashed.size,
    downloadedBytes: storeBytes,
    seconds: Math.round(seconds * 1000) / 1000,
    mbps: Math.round((storeBytes / 1e6 / Math.max(seconds, 1e-3)) * 10) / 10,
    attempts,
    dequeueCount: context.delivery.dequeueCount,
    alreadyArchived: false,
  });
  if (written.manifest) {
    await settleRecording(services, { manifest: written.manifest, etag: written.etag }, previousStatus, log);
  }
  return 'archived';
}

/** Why the store's answer says the customer's copy is not the chunk ACS announced; null when it agrees (or is gone). */
function sizeProblem(answer: StoreAnswer, file: CustomerFile): string | null {
  switch (answer.kind) {
    case 'gone':
      return null;
    case 'shorter':
      return `${file.name} has ${file.size} bytes in the customer container; the ACS store's file is shorter`;
    case 'undeclared':
      return `the ACS store declared no size for ${file.name}: its size cannot be checked`;
    case 'declared':
      return answer.size === file.size
        ? null
        : `${file.name} has ${file.size} bytes in the customer container; the ACS store declares ${answer.size}`;
  }
}

/** A storage failure for a message: its status and error code, never its text (which can hold a URL). */
function storageFailure(error: unknown): string {
  const status = statusCode(error);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (status === 403) return '403: the app needs Storage Blob Data Reader on that container';
  return [status, typeof code === 'string' ? code : errorCode(error)].filter(Boolean).join(' ');
}

async function fallBack(
  services: ArchiveServices,
  tag: { callId: string; recordingKey: string; index: number },
  reason: string,
  log: Logger | null,
): Promise<'copy'> {
  const why = safeText(reason, 500);
  await services.store.updateManifest(tag.callId, tag.recordingKey, (current) =>
    current ? markInPlaceFallback(current, tag.index, why, services.now()) : null,
  );
  log?.warn(
    `${tag.callId}/${tag.recordingKey} chunk ${tag.index} (bring your own storage): copied from the ACS store instead of verified in place: ${why}`,
  );
  return 'copy';
}
