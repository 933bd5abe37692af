import type { MediaFormat } from '../../recording';
import type { ChannelAssignment, Manifest, ManifestChunk } from '../manifest/manifest';
import { markArchived, markFormatFixed } from '../manifest/marks';

/**
 * The manifest's changes for a bring-your-own-storage chunk (verified in place, waiting for its files, or copied
 * after all), each a pure function from a manifest to the next one, or null when nothing may change.
 */

/**
 * Whether this chunk is to be looked for in the customer's container first: its recording was made into the
 * customer's own storage (`storageType`), its place is not decided yet, and no copy of it has started (a copy fixes
 * the chunk's `format` before its first byte; from then on it stays a copy, so an archive blob is never orphaned).
 */
export function isInPlaceCandidate(
  manifest: Pick<Manifest, 'storageType'>,
  chunk: Pick<ManifestChunk, 'status' | 'location' | 'format'>,
): boolean {
  return manifest.storageType !== null && chunk.status === 'pending' && !chunk.location && !chunk.format;
}

/** The first look found nothing: the time is kept, the chunk stays pending (and counts as just enqueued). */
export function markInPlaceWaiting(manifest: Manifest, index: number, now: Date): Manifest | null {
  return changePending(manifest, index, now, (chunk) => {
    chunk.inPlaceWaitingSince ??= now.toISOString();
    chunk.enqueuedAt = now.toISOString();
  });
}

/** The chunk is copied from the ACS store after all, for `reason`; decided once, so every later copy stays a copy. */
export function markInPlaceFallback(manifest: Manifest, index: number, reason: string, now: Date): Manifest | null {
  return changePending(manifest, index, now, (chunk) => {
    chunk.location = 'archive';
    chunk.inPlaceFallback = reason;
  });
}

/** One file of the chunk as found and verified in the customer's container. */
export interface VerifiedFile {
  name: string;
  url: string;
  size: number;
  sha256: string;
}

export interface VerifiedInPlace {
  content: VerifiedFile & { md5: string; format: MediaFormat };
  metadata: VerifiedFile;
  /** What the ACS store declared for the media (null: it no longer had it). */
  sourceSize: number | null;
  attempts: number;
  participants: readonly string[];
  channels: readonly ChannelAssignment[] | null;
  /** The metadata file's `recordingInfo.format`. */
  metadataFormat: string | null;
  /** Why the store's copy was left there although DELETE_SOURCE_AFTER_ARCHIVE asked to delete it; null otherwise. */
  sourceDeleteError: string | null;
}

/**
 * The manifest with chunk `index` archived where ACS wrote it: `location: external`, the blobs' names and URLs in
 * the customer's container, the hashes computed there, its participants merged, and its format (the media file's
 * extension; the recording's `formatType` from the metadata file when no event named one). null when the chunk is
 * unknown or no longer pending. Pure.
 */
export function markVerifiedInPlace(
  manifest: Manifest,
  index: number,
  verified: VerifiedInPlace,
  now: Date,
): Manifest | null {
  const chunk = manifest.chunks.find((c) => c.index === index);
  if (!chunk || chunk.status !== 'pending') return null;
  const named =
    markFormatFixed(
      manifest,
      index,
      { format: verified.content.format, metadataFormat: verified.metadataFormat },
      now,
    ) ?? manifest;
  const next = markArchived(
    named,
    index,
    {
      size: verified.content.size,
      sha256: verified.content.sha256,
      md5: verified.content.md5,
      attempts: verified.attempts,
      participants: verified.participants,
      channels: verified.channels,
    },
    now,
  );
  const entry = next?.chunks.find((c) => c.index === index);
  if (!next || !entry) return null;
  Object.assign(entry, {
    location: 'external',
    blob: verified.content.name,
    metadataBlob: verified.metadata.name,
    blobUrl: verified.content.url,
    metadataBlobUrl: verified.metadata.url,
    format: verified.content.format,
    sourceSize: verified.sourceSize,
    metadataSize: verified.metadata.size,
    metadataSha256: verified.metadata.sha256,
    inPlaceFallback: null,
    ...(verified.sourceDeleteError ? { sourceDeleteError: verified.sourceDeleteError } : {}),
  } satisfies Partial<ManifestChunk>);
  return next;
}

function changePending(
  manifest: Manifest,
  index: number,
  now: Date,
  change: (chunk: ManifestChunk) => void,
): Manifest | null {
  const next = structuredClone(manifest);
  const chunk = next.chunks.find((c) => c.index === index);
  if (!chunk || chunk.status !== 'pending' || chunk.location) return null;
  change(chunk);
  next.updatedAt = now.toISOString();
  return next;
}
