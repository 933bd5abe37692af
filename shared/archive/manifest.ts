import { chunkLocationRefusal } from '../acs/allowList';
import { BadInputError } from '../errors';
import type { ChunkRef, RecordingPlan } from '../events/recordingFileStatus';
import { chunkBlobName, chunkMetadataBlobName, type MediaFormat } from './naming';

/**
 * The manifest (SPEC section 6): what was archived, and the intent record of what is still to do. Every decision
 * about it is a pure function here; the I/O around them (ingest, copyChunk, sweep) only reads, applies and writes.
 */

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
  /** Why the chunk failed or last failed, as a code (an AppError code such as SourceExpired, LocationRefused). */
  failureCode?: string | null;
  archivedAt: string | null;
  /** When a copy of this chunk was last put on the queue. */
  enqueuedAt?: string | null;
  /** When the source copy was deleted (DELETE_SOURCE_AFTER_ARCHIVE); null otherwise. */
  sourceDeletedAt?: string | null;
  /** Why the source copy was not deleted although DELETE_SOURCE_AFTER_ARCHIVE asked for it. */
  sourceDeleteError?: string | null;
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
  /** The file extension of the chunks (mp4, mp3, wav, bin): lets the copier work from the manifest alone. */
  format: MediaFormat;
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
  const base: Manifest = existing ? structuredClone(existing) : newManifest(plan, at);

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
      known.endReason = incoming.endReason ?? known.endReason;
      known.deleteLocation = incoming.deleteLocation ?? known.deleteLocation;
      if (incoming.contentLocation) {
        known.contentLocation = incoming.contentLocation;
        known.metadataLocation = incoming.metadataLocation;
        if (known.status === 'failed' && known.failureCode === FailureCodes.noLocation) {
          Object.assign(known, stateOfNewChunk(known));
        }
      }
    }
  }
  base.chunks.sort((a, b) => a.index - b.index);
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
    status: 'pending',
    deadline: plan.deadline,
    eventIds: [],
    participants: [],
    chunks: [],
    createdAt: at,
    updatedAt: at,
    format: plan.format,
  };
}

function newChunk(manifest: Manifest, ref: ChunkRef): ManifestChunk {
  return {
    index: ref.index,
    documentId: ref.documentId,
    endReason: ref.endReason,
    contentLocation: ref.contentLocation,
    metadataLocation: ref.metadataLocation,
    deleteLocation: ref.deleteLocation,
    blob: chunkBlobName(manifest.callId, manifest.recordingKey, ref.index, manifest.format),
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
export interface ArchivedChunk {
  size: number;
  sha256: string;
  md5: string;
  attempts: number;
  participants: readonly string[];
}

/** The manifest with chunk `index` archived; null when the manifest does not know the chunk. Pure. */
export function markArchived(manifest: Manifest, index: number, result: ArchivedChunk, now: Date): Manifest | null {
  return changeChunk(manifest, index, now, (chunk, next) => {
    chunk.status = 'archived';
    chunk.size = result.size;
    chunk.sha256 = result.sha256;
    chunk.md5 = result.md5;
    chunk.attempts += result.attempts;
    chunk.lastError = null;
    chunk.failureCode = null;
    chunk.archivedAt ??= now.toISOString();
    for (const p of result.participants) if (!next.participants.includes(p)) next.participants.push(p);
  });
}

/**
 * The manifest after a failed copy of chunk `index`: `expired`/`failed` for good, or still `pending` with the
 * error recorded (a transient failure). An archived chunk is never downgraded, and a transient failure never touches
 * a chunk that is no longer pending (the sweeper may have failed it past its deadline while the copy ran). Pure.
 */
export function markFailed(
  manifest: Manifest,
  index: number,
  failure: { status: 'expired' | 'failed' | 'pending'; failureCode: string; error: string; attempts?: number },
  now: Date,
): Manifest | null {
  return changeChunk(manifest, index, now, (chunk) => {
    if (chunk.status === 'archived' || (failure.status === 'pending' && chunk.status !== 'pending')) return;
    chunk.status = failure.status;
    chunk.failureCode = failure.failureCode;
    chunk.lastError = failure.error;
    chunk.attempts += failure.attempts ?? 0;
  });
}

/** The manifest with the given chunks marked as just put on the queue. Pure. */
export function markEnqueued(manifest: Manifest, indices: readonly number[], now: Date): Manifest {
  const next = structuredClone(manifest);
  for (const chunk of next.chunks) if (indices.includes(chunk.index)) chunk.enqueuedAt = now.toISOString();
  return next;
}

/** Failed chunks given another chance (the CLI's `retry`): pending again, error kept for the record. Pure. */
export function markForRetry(manifest: Manifest, indices: readonly number[], now: Date): Manifest {
  const next = structuredClone(manifest);
  for (const chunk of next.chunks) {
    if (indices.includes(chunk.index) && chunk.status !== 'archived') chunk.status = 'pending';
  }
  next.status = statusOf(next);
  next.updatedAt = now.toISOString();
  return next;
}

/** Every chunk not archived marked failed with DeadlinePassed: the source files are gone. Pure. */
export function markDeadlinePassed(manifest: Manifest, now: Date): Manifest {
  const next = structuredClone(manifest);
  for (const chunk of next.chunks) {
    if (chunk.status !== 'pending') continue;
    chunk.status = 'failed';
    chunk.failureCode = FailureCodes.deadlinePassed;
    chunk.lastError = `not archived before the source files expired at ${manifest.deadline}`;
  }
  // NOTE: a recording that lacks chunks (a gap, or the last chunk said more would follow) fails too.
  next.status = statusOf(next) === 'complete' ? 'complete' : 'failed';
  next.updatedAt = now.toISOString();
  return next;
}

/** Not complete, and its source files expire within `warningHours`. Shared by the sweeper and the CLI. */
export function isNearDeadline(
  manifest: Pick<Manifest, 'status' | 'deadline'>,
  now: Date,
  warningHours: number,
): boolean {
  return manifest.status === 'pending' && Date.parse(manifest.deadline) - now.getTime() < warningHours * 3_600_000;
}

/** Past its deadline plus the grace period: what is not archived now cannot be. */
export function isPastDeadline(
  manifest: Pick<Manifest, 'status' | 'deadline'>,
  now: Date,
  graceHours: number,
): boolean {
  return manifest.status === 'pending' && now.getTime() > Date.parse(manifest.deadline) + graceHours * 3_600_000;
}

/** The same content apart from `updatedAt` (so an unchanged merge writes nothing). */
export function sameManifest(a: Manifest, b: Manifest): boolean {
  return JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });
}

/** Chunks not archived and indices never announced, for logs and the status report. */
export function unarchivedSummary(manifest: Manifest): string {
  const left = manifest.chunks.filter((c) => c.status !== 'archived').map((c) => `${c.index} (${c.status})`);
  const missing = missingIndices(manifest).map((i) => `${i} (no event yet)`);
  return [...left, ...missing].join(', ') || 'none known';
}

function changeChunk(
  manifest: Manifest,
  index: number,
  now: Date,
  change: (chunk: ManifestChunk, next: Manifest) => void,
): Manifest | null {
  const next = structuredClone(manifest);
  const chunk = next.chunks.find((c) => c.index === index);
  if (!chunk) return null;
  change(chunk, next);
  next.status = statusOf(next);
  next.updatedAt = now.toISOString();
  return next;
}
