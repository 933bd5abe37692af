import { formatFor, formatOfBlobName, type MediaFormat } from '../../recording';
import type { Manifest, ManifestChunk } from './manifest';

/** Which extension a chunk's blob gets, and which archived chunks ended up under another one. */

/**
 * The extension of a chunk's blob, from the most specific source known when it is copied: a format already fixed
 * for it, the events' format, this chunk's own metadata file (`recordingInfo.format`), the recording's format taken
 * from another chunk's metadata file, else `bin` (never guessed). Pure.
 */
export function chunkFormatOf(manifest: Manifest, chunk: ManifestChunk, metadataFormat: string | null): MediaFormat {
  if (chunk.format) return chunk.format;
  if (manifest.formatSource === 'event' && manifest.format) return manifest.format;
  return formatFor(metadataFormat) ?? manifest.format ?? 'bin';
}

/**
 * Archived chunks whose extension is not the format the events named: archived before the format was known (nothing
 * said it), or named by a metadata file that disagrees with the events. They keep their names: an archived blob is
 * never renamed or overwritten. Pure.
 */
export function chunksNamedOtherwise(manifest: Manifest): ManifestChunk[] {
  if (manifest.formatSource !== 'event' || !manifest.format) return [];
  return manifest.chunks.filter(
    (c) => c.status === 'archived' && (c.format ?? formatOfBlobName(c.blob)) !== manifest.format,
  );
}
