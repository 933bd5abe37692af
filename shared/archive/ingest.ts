import { createHash } from 'node:crypto';
import { BadInputError } from '../errors';
import { foreignSourceReason, toEventEnvelope, type EventEnvelope, planFromEvent, type RecordingPlan } from '../events';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { safeText } from '../text';
import { crashPoint } from './crashPoints';
import { chunksNamedOtherwise } from './manifest/formats';
import { chunksToCopy, mergePlan, sameManifest, type Manifest } from './manifest/manifest';
import { erasedMarkerName, isSafeToken } from '../recording';
import { settleRecording } from './settle';
import { ensureContainers, type ArchiveServices } from './archiveServices';
import { markEnqueued } from './manifest/marks';
import { indexRecordingForListing } from './recordingList';

export type IngestOutcome =
  | { outcome: 'rejected'; failureCode: string; reason: string; rejectedBlob: string }
  | { outcome: 'accepted'; manifest: Manifest; enqueued: number[] };

/**
 * One RecordingFileStatusUpdated event, as delivered (Event Grid or CloudEvents schema): validate it, record the
 * intent (pending marker, then the manifest, `pending`), and put one message per chunk still to copy on the queue.
 * Never copies media, so a delivery is answered in a moment whatever the chunk sizes. A malformed event (or one from
 * another resource) is kept under `_rejected/` and the call succeeds: a redelivery cannot change it. Anything else
 * that fails throws, and Event Grid delivers the event again.
 */
export async function ingestEvent(services: ArchiveServices, raw: unknown, log: Logger): Promise<IngestOutcome> {
  const started = Date.now();
  const { config, store, markers, queue } = services;
  await ensureContainers(services);
  let envelope: EventEnvelope | undefined;
  let plan: RecordingPlan;
  try {
    envelope = toEventEnvelope(raw);
    const foreign = foreignSourceReason(envelope, config.senders.acsResourceId);
    if (foreign) throw new BadInputError(foreign, 'topic', 'ForeignTopic');
    plan = planFromEvent(envelope, {
      endpoint: config.acs.endpoint,
      dialect: config.acs.dialect,
      retentionHours: config.retentionHours,
      receivedAt: services.now(),
    });
  } catch (error) {
    if (error instanceof BadInputError) return reject(services, envelope?.id, raw, error, log);
    throw error;
  }

  if (await isErased(services, plan)) {
    // Erased on request (participant erase): a late or redelivered event must not bring it back while ACS still holds
    // the source files.
    log.warn(
      `Event ${safeText(plan.eventId, 100)} is for ${plan.callId}/${plan.recordingKey}, which was erased on request; ignored`,
    );
    return {
      outcome: 'rejected',
      failureCode: 'Erased',
      reason: 'the recording was erased on request',
      rejectedBlob: '',
    };
  }
  // The marker first: from here on the sweeper knows of this recording even if every later step fails.
  await markers.mark(plan.callId, plan.recordingKey);
  let previous: Manifest | null = null;
  let enqueued: number[] = [];
  let written;
  try {
    written = await store.updateManifest(plan.callId, plan.recordingKey, (current) => {
      previous = current;
      const merged = mergePlan(current, plan, services.now());
      enqueued = chunksToCopy(merged).map((c) => c.index);
      const next = markEnqueued(merged, enqueued, services.now());
      return current && sameManifest(current, next) ? null : next;
    });
  } catch (error) {
    if (error instanceof BadInputError) return reject(services, plan.eventId, raw, error, log);
    throw error;
  }
  const manifest = written.manifest!;
  const before = previous as Manifest | null;
  if (written.written) {
    reportNewlyFailedChunks(before, manifest, log);
    reportChunksNamedOtherwise(before, manifest, log);
    reportUnknownCustomerContainer(before, manifest, config.recording.externalStorageUrl, log);
  }
  // The console's recording list (recordingList.ts): rewritten on every event, so a failed write is redone by the next.
  await indexRecordingForListing(services.control, manifest);
  crashPoint('after-manifest');
  if (manifest.status === 'pending') {
    // Marked again after the write: a copier finishing the recording meanwhile re-checks under the ETag (outcome.ts).
    await markers.mark(plan.callId, plan.recordingKey);
    await queue.enqueue(enqueued.map((index) => ({ callId: plan.callId, recordingKey: plan.recordingKey, index })));
    crashPoint('after-enqueue');
  } else {
    enqueued = [];
    await settleRecording(services, { manifest, etag: written.etag }, before?.status ?? null, log);
  }
  logEvent(log, 'info', 'ArchiveAcknowledged', {
    callId: manifest.callId,
    recordingKey: manifest.recordingKey,
    eventId: plan.eventId,
    status: manifest.status,
    chunksKnown: manifest.chunks.length,
    chunksEnqueued: enqueued.length,
    ackMs: Date.now() - started,
  });
  return { outcome: 'accepted', manifest, enqueued };
}

/** Chunks this event made `failed` before any request (no location, a location that is not the chunk's). */
function reportNewlyFailedChunks(before: Manifest | null, manifest: Manifest, log: Logger): void {
  for (const chunk of manifest.chunks) {
    const was = before?.chunks.find((c) => c.index === chunk.index)?.status;
    if (chunk.status !== 'failed' || was === 'failed') continue;
    logEvent(log, 'error', 'ChunkFailed', {
      callId: manifest.callId,
      recordingKey: manifest.recordingKey,
      index: chunk.index,
      status: chunk.status,
      failureCode: chunk.failureCode ?? 'Failed',
      error: chunk.lastError ?? '',
    });
  }
}

/**
 * Archived chunks whose extension this event showed to be wrong (they were archived before anything named the
 * format): they keep their names, since an archived blob is never renamed or overwritten; the operator is told.
 */
function reportChunksNamedOtherwise(before: Manifest | null, manifest: Manifest, log: Logger): void {
  const already = new Set(before ? chunksNamedOtherwise(before).map((c) => c.index) : []);
  for (const chunk of chunksNamedOtherwise(manifest)) {
    if (already.has(chunk.index)) continue;
    log.warn(
      `Call ${manifest.callId}, recording ${manifest.recordingKey}: chunk ${chunk.index} was archived as ${chunk.blob} before its format was known; the events now say ${safeText(manifest.formatType ?? manifest.format, 20)}. It keeps its name (an archived blob is never renamed or overwritten).`,
    );
  }
}

/**
 * A recording made into the customer's own storage (`storageType`) while RECORDING_EXTERNAL_STORAGE_URL is not set:
 * the archiver cannot know that container, so its chunks are copied from the ACS store as any other recording's
 * (nothing is lost, but the files are then stored twice). Said once, when the recording is first seen as such.
 */
function reportUnknownCustomerContainer(
  before: Manifest | null,
  manifest: Manifest,
  externalStorageUrl: string | undefined,
  log: Logger,
): void {
  if (externalStorageUrl || !manifest.storageType || before?.storageType) return;
  log.warn(
    `Call ${manifest.callId}, recording ${manifest.recordingKey} was recorded into your own storage (storageType ${safeText(manifest.storageType, 40)}), but RECORDING_EXTERNAL_STORAGE_URL is not set: its chunks are copied from the ACS store instead of verified in place.`,
  );
}

async function isErased(services: ArchiveServices, plan: RecordingPlan): Promise<boolean> {
  return services.control.getBlockBlobClient(erasedMarkerName(plan.callId, plan.recordingKey)).exists();
}

async function reject(
  services: ArchiveServices,
  eventId: unknown,
  raw: unknown,
  error: BadInputError,
  log: Logger,
): Promise<IngestOutcome> {
  const receivedAt = services.now();
  const name =
    typeof eventId === 'string' && isSafeToken(eventId)
      ? eventId
      : createHash('sha256').update(safeJson(raw)).digest('hex');
  const rejectedBlob = await services.store.writeRejection(
    { reason: error.message, receivedAt: receivedAt.toISOString(), event: raw },
    name,
  );
  logEvent(log, 'error', 'ArchiveRejected', {
    eventId: safeText(eventId, 100),
    failureCode: error.code,
    reason: error.message,
    rejectedBlob,
  });
  return { outcome: 'rejected', failureCode: error.code, reason: error.message, rejectedBlob };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
