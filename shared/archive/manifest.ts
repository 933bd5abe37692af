import { BadInputError } from '../errors';
import type { ChunkRef, RecordingPlan } from '../events/recordingFileStatus';
import { chunkBlobName, chunkMetadataBlobName, type MediaFormat } from './naming';

/** The manifest (SPEC section 6): what was archived, and the intent record of what is still to do. */

export type ChunkStatus = 'pending' | 'archived' | 'expired' | 'failed';
export type ManifestStatus = 'pending' | 'complete' | 'failed';

/** A chunk as the events described it (ChunkRef), plus what the archive knows of it. */
export interface ManifestChunk extends ChunkRef {
  status: ChunkStatus;
  blob: string;
  metadataBlob: string;
  size: number | null;
  sha256: string | null;
  md5: string | null;
  attempts: number;
  lastError: string | null;
  archivedAt: string | null;
  /** When the source copy was deleted (DELETE_SOURCE_AFTER_ARCHIVE); null otherwise. */
  sourceDeletedAt?: string | null;
}

export interface Manifest {
  schemaVersion: 1;
  callId: string;
  serverCallId: string | null;
  recordingId: string | null;
  recordingKey: string;
  recordingStartTime: string | null;
  recordingDurationMs: number | null;
  sessionEndReason: string | null;
  contentType: string | null;
  channelType: string | null;
  formatType: string | null;
  status: ManifestStatus;
  deadline: string;
  eventIds: string[];
  participants: string[];
  chunks: ManifestChunk[];
  createdAt: string;
  updatedAt: string;
  /** The file extension of the chunks (mp4, mp3, wav): lets the sweeper re-drive from the manifest alone. */
  format: MediaFormat;
}

export const MORE_CHUNKS_FOLLOW = 'chunkmaximumsizeexceeded';

/**
 * Merges a validated event into the manifest (or starts one). Pure. Never loses a chunk the manifest had; a chunk
 * that is archived keeps everything; a chunk at an index the manifest knows under another documentId makes the
 * event a BadInputError and leaves the manifest as it was.
 */
export function mergePlan(existing: Manifest | null, plan: RecordingPlan, now: Date): Manifest {
  const at = now.toISOString();
  const base: Manifest = existing
    ? structuredClone(existing)
    : {
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
        status: 'pending',
        deadline: plan.deadline,
        eventIds: [],
        participants: [],
        chunks: [],
        createdAt: at,
        updatedAt: at,
        format: plan.format,
      };

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
  base.formatType ??= plan.formatType;
  // The earliest deadline wins: a later event must never postpone the warning.
  if (Date.parse(plan.deadline) < Date.parse(base.deadline)) base.deadline = plan.deadline;
  if (!base.eventIds.includes(plan.eventId)) base.eventIds.push(plan.eventId);

  for (const incoming of plan.chunks) {
    const known = base.chunks.find((c) => c.index === incoming.index);
    if (!known) {
      base.chunks.push(newChunk(base, incoming));
    } else if (known.status !== 'archived') {
      // Fresh locations from a newer event are the ones to use for what is not archived yet.
      known.endReason = incoming.endReason;
      if (incoming.contentLocation) {
        known.contentLocation = incoming.contentLocation;
        known.metadataLocation = incoming.metadataLocation;
        if (known.status === 'failed' && known.lastError?.startsWith('no download location')) {
          known.status = 'pending';
        }
      }
      known.deleteLocation = incoming.deleteLocation ?? known.deleteLocation;
    }
  }
  base.chunks.sort((a, b) => a.index - b.index);
  base.status = statusOf(base);
  base.updatedAt = at;
  return base;
}

function newChunk(manifest: Manifest, ref: ChunkRef): ManifestChunk {
  const missingLocation = ref.contentLocation === null || ref.metadataLocation === null;
  return {
    index: ref.index,
    documentId: ref.documentId,
    endReason: ref.endReason,
    contentLocation: ref.contentLocation,
    metadataLocation: ref.metadataLocation,
    deleteLocation: ref.deleteLocation,
    status: missingLocation ? 'failed' : 'pending',
    blob: chunkBlobName(manifest.callId, manifest.recordingKey, ref.index, manifest.format),
    metadataBlob: chunkMetadataBlobName(manifest.callId, manifest.recordingKey, ref.index),
    size: null,
    sha256: null,
    md5: null,
    attempts: 0,
    lastError: missingLocation
      ? 'no download location: the event has the 2021 form (documentId only); set ACS_RECORDING_API=conversations to download from the 2021 paths'
      : null,
    archivedAt: null,
  };
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
    last.endReason.toLowerCase() !== MORE_CHUNKS_FOLLOW &&
    chunks.every((c) => c.status === 'archived')
  ) {
    return 'complete';
  }
  return 'pending';
}

/** Chunks an archiver should still try, in index order. */
export function chunksToCopy(manifest: Manifest): ManifestChunk[] {
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
