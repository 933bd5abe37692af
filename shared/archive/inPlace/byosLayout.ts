import { formatFor, type MediaFormat } from '../../recording';
import type { Manifest } from '../manifest/manifest';

/**
 * Where ACS files a bring-your-own-storage recording in the customer's container, as Learn's "Call recording: Bring
 * your own Azure storage quickstart" ("Folder Structure for Call Recording"; MicrosoftDocs/azure-docs
 * articles/communication-services/quickstarts/call-automation/call-recording/bring-your-own-storage.md, commit
 * 18de66f4fd79b40307c491ff70b4515a4aeae777, quoted in test/fixtures/acs-public/index.json) publishes it:
 *
 *   /YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-acsmetadata.documentId.json
 *   /YYYYMMDD/callId/first_8_of_recordingId + '-' + unique guid/[chunk-id]-audiomp3.documentId.mp3
 *
 * Much of it is not pinned down: which day YYYYMMDD is (the start? the export? in which time zone), what `[chunk-id]`
 * is, what a WAV or an MP4 chunk is called, and the guid cannot be known. So files are matched by what is certain: the
 * call's folder under a day near the recording, and the chunk's documentId as the name's last dotted part before the
 * extension. The recordingId's first characters are not relied on (a recordingId may contain `/`). Pure.
 */

/** How many days either side of the recording a day folder is looked for. */
const DAYS_AROUND = 1;

/**
 * The `YYYYMMDD/{callId}/` folders (under `prefix`, the container URL's own path) a recording's files may be in: the
 * UTC days from the day before the recording started to the day after it ended, and the day the archive first heard
 * of it; at most a handful, in order.
 */
export function callFolders(
  manifest: Pick<Manifest, 'callId' | 'recordingStartTime' | 'recordingDurationMs' | 'createdAt'>,
  prefix = '',
): string[] {
  const dayMs = 86_400_000;
  const started = Date.parse(manifest.recordingStartTime ?? '');
  const created = Date.parse(manifest.createdAt);
  const days = new Set<string>();
  const addRange = (from: number, to: number) => {
    const last = Math.floor(to / dayMs) + DAYS_AROUND;
    for (let day = Math.floor(from / dayMs) - DAYS_AROUND; day <= last; day++) days.add(dayOf(day * dayMs));
  };
  if (Number.isFinite(started)) addRange(started, started + Math.max(0, manifest.recordingDurationMs ?? 0));
  if (Number.isFinite(created)) days.add(dayOf(created));
  if (!Number.isFinite(started) && Number.isFinite(created)) addRange(created, created);
  return [...days].sort().map((day) => `${prefix}${day}/${manifest.callId}/`);
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

/** A file of the customer's container that belongs to a chunk: its role and, for the media, its format. */
export type ChunkFileRole = { role: 'metadata' } | { role: 'content'; extension: string; format: MediaFormat };

/**
 * The role of the blob `name` for the chunk `documentId`: `…acsmetadata.{documentId}.json` is its metadata file, any
 * other `….{documentId}.{ext}` its media (`-audiomp3.{documentId}.mp3` in Learn's example); null when the name is not
 * the chunk's. The documentId must be a whole dotted part of the file name, not a piece of one.
 */
export function chunkFileRole(name: string, documentId: string): ChunkFileRole | null {
  const file = name.slice(name.lastIndexOf('/') + 1);
  const suffix = /\.([A-Za-z0-9]{1,8})$/.exec(file);
  if (!suffix) return null;
  const extension = suffix[1]!;
  const stem = file.slice(0, file.length - suffix[0].length);
  if (stem !== documentId && !stem.endsWith(`.${documentId}`)) return null;
  const before = stem.slice(0, stem.length - documentId.length);
  const isMetadataName = /acsmetadata\.$/i.test(before);
  if (extension.toLowerCase() === 'json') return isMetadataName ? { role: 'metadata' } : null;
  if (isMetadataName) return null;
  return { role: 'content', extension, format: formatFor(extension) ?? 'bin' };
}

/** The chunk's media and metadata file among `blobs`, or why they cannot be told (none, or more than one). Pure. */
export function matchChunkFiles<T extends { name: string }>(
  blobs: readonly T[],
  documentId: string,
): { content: T & { format: MediaFormat }; metadata: T } | { missing: string } | { ambiguous: string } {
  const contents: (T & { format: MediaFormat })[] = [];
  const metadatas: T[] = [];
  for (const blob of blobs) {
    const role = chunkFileRole(blob.name, documentId);
    if (role?.role === 'metadata') metadatas.push(blob);
    else if (role?.role === 'content') contents.push({ ...blob, format: role.format });
  }
  if (contents.length > 1 || metadatas.length > 1) {
    const names = [...contents, ...metadatas].map((b) => b.name).join(', ');
    return { ambiguous: `more than one file names document ${documentId}: ${names}` };
  }
  const [content] = contents;
  const [metadata] = metadatas;
  if (content && metadata) return { content, metadata };
  const lacking = [content ? null : 'media file', metadata ? null : 'metadata file'].filter(Boolean).join(' and ');
  return { missing: `no ${lacking} of document ${documentId}` };
}
