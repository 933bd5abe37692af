import { chunkLocationRefusal } from '../../acs';
import { BadInputError } from '../../errors';
import type { RecordingPlan } from '../../events';
import {
  type ChunkRef,
  type MediaFormat,
  type RecordingFields,
  chunkBlobName,
  chunkMetadataBlobName,
  formatFor,
  formatOfBlobName,
} from '../../recording';
import type { InPlaceChunkFields } from './inPlaceFields';
/**
 * The manifest (its keys: docs/architecture.md): what was archived, and the intent record of what is still to do. Every decision
 * about it is a pure function here; the I/O around them (ingest, copyChunk, sweep) only reads, applies and writes.
 */

export type ChunkStatus = 'pending' | 'archived' | 'expired' | 'failed';
export type ManifestStatus = 'pending' | 'complete' | 'failed';

/** A chunk as the events described it (ChunkRef), plus what the archive knows of it. */
export interface ManifestChunk extends ChunkRef, InPlaceChunkFields {
  status: ChunkStatus;
  blob: string;
  metadataBlob: string;
  size: number | null;
  sha256: string | null;
  md5: string | null;
  attempts: number;
  lastError: string | null;
  /** Why the chunk failed or last failed, as a code (an AppError code such as SourceExpired, LocationRefused). */
  failureCode?: string | null;
  archivedAt: string | null;
  /** When a copy of this chunk was last put on the queue. */
  enqueuedAt?: string | null;
  /** When the source copy was deleted (DELETE_SOURCE_AFTER_ARCHIVE); null otherwise. */
  sourceDeletedAt?: string | null;
  /** Why the source copy was not deleted although DELETE_SOURCE_AFTER_ARCHIVE asked for it. */
  sourceDeleteError?: string | null;
  /**
   * The extension of this chunk's blob, fixed when its copy starts (from the event, else its metadata file, else
   * `bin`); null before: until then `blob` follows the recording's format as events make it known.
   */
  format?: MediaFormat | null;
}

/** Which participant an unmixed recording put on which audio channel (from the metadata files). */
export interface ChannelAssignment {
  channel: number;
  participantId: string;
}

/** manifest.json (the archive's record of truth; keys are part of the contract: more may be added, none renamed). */
export interface Manifest extends RecordingFields {
  schemaVersion: 1;
  status: ManifestStatus;
  eventIds: string[];
  participants: string[];
  /** Unmixed recordings: each channel's participant, sorted by channel; null for mixed ones (or not known yet). */
  channels: ChannelAssignment[] | null;
  chunks: ManifestChunk[];
  createdAt: string;
  updatedAt: string;
  /** Where `format` and `formatType` come from: an event, the first metadata file that named one, or nothing yet. */
  formatSource: 'event' | 'metadata' | null;
}

export const MORE_CHUNKS_FOLLOW = 'chunkmaximumsizeexceeded';

/** Failure codes the manifest decisions set themselves. */
export const FailureCodes = {
  noLocation: 'NoLocation',
  locationMismatch: 'LocationMismatch',
  deadlinePassed: 'DeadlinePassed',
} as const;

/**
 * Merges a validated event into the manifest (or starts one). Pure. Never loses a chunk the manifest had; a chunk
 * that is archived keeps everything; a chunk at an index the manifest knows under another documentId makes the
 * event a BadInputError and leaves the manifest as it was.
 */
export function mergePlan(existing: Manifest | null, plan: RecordingPlan, now: Date): Manifest {
  const at = now.toISOString();
  const base: Manifest = existing ? upgradeManifest(structuredClone(existing)) : newManifest(plan, at);

  for (const incoming of plan.chunks) {
    const known = base.chunks.find((c) => c.index === incoming.index);
    if (known && known.documentId !== incoming.documentId) {
      throw new BadInputError(
        `chunk ${incoming.index} of call ${plan.callId} is already archived under documentId ${known.documentId}, the event says ${incoming.documentId}`,
        'data.recordingStorageInfo.recordingChunks.documentId',
      );
    }
  }

  base.serverCallId ??= plan.serverCallId;
  base.recordingId ??= plan.recordingId;
  base.recordingStartTime ??= plan.recordingStartTime;
  base.recordingDurationMs ??= plan.recordingDurationMs;
  base.sessionEndReason ??= plan.sessionEndReason;
  base.contentType ??= plan.contentType;
  base.channelType ??= plan.channelType;
  base.storageType ??= plan.storageType;
  applyEventFormat(base, plan);
  // The earliest deadline wins: a later event must never postpone the warning.
  if (Date.parse(plan.deadline) < Date.parse(base.deadline)) base.deadline = plan.deadline;
  if (!base.eventIds.includes(plan.eventId)) base.eventIds.push(plan.eventId);

  for (const incoming of plan.chunks) {
    const known = base.chunks.find((c) => c.index === incoming.index);
    if (!known) {
      base.chunks.push(newChunk(base, incoming));
    } else if (known.status !== 'archived') {
      // Fresh locations from a newer event are the ones to use for what is not archived yet.
      known.endReason = incoming.endReason ?? known.endReason;
      known.deleteLocation = incoming.deleteLocation ?? known.deleteLocation;
      // ...but only locations that could be used: a later event must not swap a refused location in for a good one
      // (the copier would then fail the chunk for good). Usable ones also heal a chunk refused for its locations.
      if (incoming.contentLocation && chunkRefusal(incoming) === null) {
        known.contentLocation = incoming.contentLocation;
        known.metadataLocation = incoming.metadataLocation;
        const refusedForLocations =
          known.failureCode === FailureCodes.noLocation || known.failureCode === FailureCodes.locationMismatch;
        if (known.status === 'failed' && refusedForLocations) Object.assign(known, stateOfNewChunk(known));
      }
    }
  }
  base.chunks.sort((a, b) => a.index - b.index);
  nameUnfixedChunks(base);
  base.status = statusOf(base);
  base.updatedAt = at;
  return base;
}

function newManifest(plan: RecordingPlan, at: string): Manifest {
  return {
    schemaVersion: 1,
    callId: plan.callId,
    serverCallId: null,
    recordingId: null,
    recordingKey: plan.recordingKey,
    recordingStartTime: null,
    recordingDurationMs: null,
    sessionEndReason: null,
    contentType: null,
    channelType: null,
    formatType: null,
    storageType: null,
    status: 'pending',
    deadline: plan.deadline,
    eventIds: [],
    participants: [],
    channels: null,
    chunks: [],
    createdAt: at,
    updatedAt: at,
    format: null,
    formatSource: null,
  };
}

/**
 * The event's format, unless an earlier event already gave one: it names the recording's format (and replaces one
 * taken from a metadata file; the chunks already named after that keep their names).
 */
function applyEventFormat(manifest: Manifest, plan: RecordingPlan): void {
  if (manifest.formatSource === 'event' || plan.format === null) return;
  if (plan.formatType !== null) manifest.formatType = plan.formatType;
  manifest.format = plan.format;
  manifest.formatSource = 'event';
}

/**
 * A manifest of the version before formats were read from metadata files: its `format` was MP4 whenever the events
 * said nothing, a guess, so only a `formatType` counts as known. Chunks already archived keep their names. Changes
 * `manifest` in place and returns it.
 */
export function upgradeManifest(manifest: Manifest): Manifest {
  if (manifest.formatSource === undefined) {
    manifest.formatSource = manifest.formatType ? 'event' : null;
    manifest.format = formatFor(manifest.formatType);
  }
  manifest.storageType ??= null;
  manifest.channels ??= null;
  for (const chunk of manifest.chunks) {
    if (chunk.format === undefined) chunk.format = chunk.status === 'archived' ? formatOfBlobName(chunk.blob) : null;
  }
  return manifest;
}

/**
 * Chunks whose copy has not started yet are named after the recording's format as it becomes known (a copy that
 * started has fixed its chunk's name). Changes `manifest` in place.
 */
export function nameUnfixedChunks(manifest: Manifest): void {
  for (const chunk of manifest.chunks) {
    if (chunk.status === 'archived' || chunk.format) continue;
    chunk.blob = chunkBlobName(manifest.callId, manifest.recordingKey, chunk.index, manifest.format ?? 'bin');
  }
}

function newChunk(manifest: Manifest, ref: ChunkRef): ManifestChunk {
  return {
    index: ref.index,
    documentId: ref.documentId,
    endReason: ref.endReason,
    contentLocation: ref.contentLocation,
    metadataLocation: ref.metadataLocation,
    deleteLocation: ref.deleteLocation,
    blob: chunkBlobName(manifest.callId, manifest.recordingKey, ref.index, manifest.format ?? 'bin'),
    format: null,
    metadataBlob: chunkMetadataBlobName(manifest.callId, manifest.recordingKey, ref.index),
    size: null,
    sha256: null,
    md5: null,
    attempts: 0,
    archivedAt: null,
    ...stateOfNewChunk(ref),
  };
}

/** pending, or failed when the event gives no usable location for this chunk (nothing will ever be sent to it). */
function stateOfNewChunk(ref: ChunkRef): Pick<ManifestChunk, 'status' | 'failureCode' | 'lastError'> {
  const refusal = chunkRefusal(ref);
  return refusal
    ? { status: 'failed', failureCode: refusal.code, lastError: refusal.reason }
    : { status: 'pending', failureCode: null, lastError: null };
}

/** Why a chunk's locations can never be used, or null. Pure. */
export function chunkRefusal(ref: ChunkRef): { code: string; reason: string } | null {
  if (ref.contentLocation === null || ref.metadataLocation === null) {
    return {
      code: FailureCodes.noLocation,
      reason:
        'no download location: the event has the 2021 form (documentId only); set ACS_RECORDING_API=conversations to download from the 2021 paths',
    };
  }
  for (const location of [ref.contentLocation, ref.metadataLocation]) {
    const reason = chunkLocationRefusal(new URL(location), ref.documentId);
    if (reason) return { code: FailureCodes.locationMismatch, reason: `refused before any request: ${reason}` };
  }
  return null;
}

/**
 * complete: indices 0..N without a gap, the last chunk did not end because of the size limit (more would follow),
 * and every chunk archived. failed: some chunk can never be archived. pending: otherwise.
 */
export function statusOf(manifest: Pick<Manifest, 'chunks'>): ManifestStatus {
  const chunks = manifest.chunks;
  if (chunks.some((c) => c.status === 'expired' || c.status === 'failed')) return 'failed';
  const last = chunks[chunks.length - 1];
  const contiguous = chunks.every((c, i) => c.index === i);
  if (
    last &&
    contiguous &&
    (last.endReason ?? '').toLowerCase() !== MORE_CHUNKS_FOLLOW &&
    chunks.every((c) => c.status === 'archived')
  ) {
    return 'complete';
  }
  return 'pending';
}

/** Chunks a copier should still try, in index order. */
export function chunksToCopy(manifest: Pick<Manifest, 'chunks'>): ManifestChunk[] {
  return manifest.chunks.filter((c) => c.status === 'pending');
}

/** Missing chunk indices below the highest known one (for logs and the status report). */
export function missingIndices(manifest: Pick<Manifest, 'chunks'>): number[] {
  const have = new Set(manifest.chunks.map((c) => c.index));
  const max = manifest.chunks.reduce((m, c) => Math.max(m, c.index), -1);
  const missing: number[] = [];
  for (let i = 0; i <= max; i++) if (!have.has(i)) missing.push(i);
  return missing;
}

/** What a verified copy of a chunk established. */
export function sameManifest(a: Manifest, b: Manifest): boolean {
  return JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });
}

/** Chunks not archived and indices never announced, for logs and the status report. */
export function unarchivedSummary(manifest: Manifest): string {
  const left = manifest.chunks.filter((c) => c.status !== 'archived').map((c) => `${c.index} (${c.status})`);
  const missing = missingIndices(manifest).map((i) => `${i} (no event yet)`);
  return [...left, ...missing].join(', ') || 'none known';
}
