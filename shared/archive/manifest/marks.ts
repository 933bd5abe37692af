import { chunkBlobName, formatFor, type MediaFormat } from '../../recording';
import {
  FailureCodes,
  nameUnfixedChunks,
  statusOf,
  type ChannelAssignment,
  type Manifest,
  type ManifestChunk,
} from './manifest';

/**
 * The manifest's changes as the copy, the queue and the sweep make them: each a pure function from a manifest to the
 * next one (or null when nothing may change), so that the I/O around them only reads, applies and writes.
 */

export interface ArchivedChunk {
  size: number;
  sha256: string;
  md5: string;
  attempts: number;
  participants: readonly string[];
  /** The metadata file's channel of each participant (unmixed recordings); null when it names none. */
  channels: readonly ChannelAssignment[] | null;
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
    if (result.channels) next.channels = mergedChannels(next.channels ?? [], result.channels);
  });
}

/**
 * Channels of every chunk's metadata file, one participant per channel, sorted by channel. A channel the manifest
 * already maps keeps its participant (the first chunk that named it decides; ACS keeps a recording's channels).
 */
function mergedChannels(
  known: readonly ChannelAssignment[],
  incoming: readonly ChannelAssignment[],
): ChannelAssignment[] {
  const merged = [...known];
  for (const c of incoming) if (!merged.some((m) => m.channel === c.channel)) merged.push({ ...c });
  return merged.sort((a, b) => a.channel - b.channel);
}

/**
 * The manifest with chunk `index`'s extension fixed before its content is copied, so that a resumed or duplicate
 * copy stages under the same name whatever later events say. `metadataFormat` (the chunk's `recordingInfo.format`)
 * becomes the recording's `formatType` when no event named one. null when nothing changes. Pure.
 */
export function markFormatFixed(
  manifest: Manifest,
  index: number,
  fixed: { format: MediaFormat; metadataFormat: string | null },
  now: Date,
): Manifest | null {
  const chunk = manifest.chunks.find((c) => c.index === index);
  const fromMetadata = manifest.formatType === null && fixed.metadataFormat !== null;
  if (!chunk || chunk.status === 'archived' || (chunk.format === fixed.format && !fromMetadata)) return null;
  return changeChunk(manifest, index, now, (entry, next) => {
    entry.format = fixed.format;
    entry.blob = chunkBlobName(next.callId, next.recordingKey, entry.index, fixed.format);
    if (!fromMetadata) return;
    next.formatType = fixed.metadataFormat;
    if (next.formatSource === null) {
      next.format = formatFor(fixed.metadataFormat);
      next.formatSource = 'metadata';
      nameUnfixedChunks(next);
    }
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
