import { createHash } from 'node:crypto';

/**
 * Names in the archive container (output only) and in the control container (bookkeeping). Every segment taken from
 * input is validated: a value that does not fit is a rejection, never a rewrite, so nothing from an event can escape
 * its folder.
 */

const SAFE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SAFE_DOCUMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const RECORDING_KEY = /^(\d{8}T\d{6}Z|undated)-[0-9a-f]{8}$/;

/** A GUID-like or base64url-like token of bounded length: safe as a blob path segment. */
export function isSafeToken(value: string): boolean {
  return SAFE_TOKEN.test(value);
}

export function isSafeDocumentId(value: string): boolean {
  return SAFE_DOCUMENT_ID.test(value) && !value.includes('..');
}

export function isRecordingKey(value: string): boolean {
  return RECORDING_KEY.test(value);
}

export const MAX_CHUNK_INDEX = 9999;

/** The chunk file extension; `bin` for a format this version does not know. */
export type MediaFormat = 'mp4' | 'mp3' | 'wav' | 'bin';

/** The part of the recording key that is not a time, for a recording whose start time is unknown. */
export const UNDATED = 'undated';

/**
 * `20210727T152023Z-1a2b3c4d`: the start time in compact UTC (fraction truncated), then the first 8 hex digits of the
 * SHA-256 of the recordingId (or, without one, of the start time exactly as the event gives it). A missing or
 * unreadable start time gives `undated-…`, so a lenient event still lands in one deterministic folder.
 */
export function recordingKeyFor(recordingStartTime: string | null, recordingId: string | null): string {
  const hash = createHash('sha256')
    .update(recordingId ?? recordingStartTime ?? '', 'utf8')
    .digest('hex')
    .slice(0, 8);
  return `${compactUtc(recordingStartTime) ?? UNDATED}-${hash}`;
}

/** `2021-07-27T15:20:23.6089755Z` -> `20210727T152023Z`; null unless an ISO-8601 UTC time. */
export function compactUtc(time: string | null): string | null {
  if (time === null) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]00:00)$/.exec(time);
  if (!match || Number.isNaN(Date.parse(time))) return null;
  const [, y, mo, d, h, mi, s] = match;
  return `${y}${mo}${d}T${h}${mi}${s}Z`;
}

export function recordingFolder(callId: string, recordingKey: string): string {
  return `${callId}/${recordingKey}`;
}

export function manifestBlobName(callId: string, recordingKey: string): string {
  return `${recordingFolder(callId, recordingKey)}/manifest.json`;
}

export function chunkBlobName(callId: string, recordingKey: string, index: number, format: MediaFormat): string {
  return `${recordingFolder(callId, recordingKey)}/chunk-${String(index).padStart(4, '0')}.${format}`;
}

export function chunkMetadataBlobName(callId: string, recordingKey: string, index: number): string {
  return `${recordingFolder(callId, recordingKey)}/chunk-${String(index).padStart(4, '0')}.metadata.json`;
}

/** `_rejected/{yyyy}/{mm}/{dd}/{name}.json` in the archive container, UTC date of receipt. */
export function rejectedBlobName(receivedAt: Date, name: string): string {
  const yyyy = receivedAt.getUTCFullYear();
  const mm = String(receivedAt.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(receivedAt.getUTCDate()).padStart(2, '0');
  return `_rejected/${yyyy}/${mm}/${dd}/${name}.json`;
}

/** Control container: marks a recording with work left, so the sweeper finds it without listing the archive. */
export const PENDING_PREFIX = 'pending/';
export function pendingMarkerName(callId: string, recordingKey: string): string {
  return `${PENDING_PREFIX}${recordingFolder(callId, recordingKey)}`;
}

/** Control container: the blobs leased by the one copier of each chunk of a recording. */
export function chunkLeasePrefix(callId: string, recordingKey: string): string {
  return `leases/${recordingFolder(callId, recordingKey)}/`;
}

/** Control container: the blob leased by the one copier of a chunk. */
export function chunkLeaseName(callId: string, recordingKey: string, index: number): string {
  return `${chunkLeasePrefix(callId, recordingKey)}${index}`;
}

/** Control container: a recording erased on request, which ingest must never bring back from a late event. */
export function erasedMarkerName(callId: string, recordingKey: string): string {
  return `erased/${recordingFolder(callId, recordingKey)}`;
}

/**
 * Control container: the participant index, one empty marker per participant and recording,
 * `participants/{sha256hex(participantId)}/{callId}/{recordingKey}`. The name carries no personal data in clear; a
 * participant's recordings are one prefix listing away.
 */
export const PARTICIPANTS_PREFIX = 'participants/';
export function participantPrefix(hash: string): string {
  return `${PARTICIPANTS_PREFIX}${hash}/`;
}
export function participantMarkerName(hash: string, callId: string, recordingKey: string): string {
  return `${participantPrefix(hash)}${callId}/${recordingKey}`;
}

/** The archive container's marker prefix before bookkeeping moved to the control container (migrated by the sweeper). */
export const LEGACY_PENDING_PREFIX = '_pending/';

/**
 * The file extension a named format gives (a `recordingFormatType` of an event, or a metadata file's
 * `recordingInfo.format`), compared case-insensitively: `bin` for a name this version does not know, null when nothing
 * names it. A missing format is never guessed: GA and bring-your-own-storage events often carry none.
 */
export function formatFor(formatType: string | null): MediaFormat | null {
  if (formatType === null) return null;
  const lower = formatType.toLowerCase();
  return lower === 'mp4' || lower === 'mp3' || lower === 'wav' ? lower : 'bin';
}

/** The extension of a blob name this archiver gave a chunk (`chunk-0000.wav` -> wav), or null. */
export function formatOfBlobName(blobName: string): MediaFormat | null {
  const match = /\.(mp4|mp3|wav|bin)$/.exec(blobName);
  return match ? (match[1] as MediaFormat) : null;
}

export function mimeTypeFor(format: MediaFormat, contentType: string | null): string {
  switch (format) {
    case 'mp3':
      return 'audio/mpeg';
    case 'wav':
      return 'audio/wav';
    case 'mp4':
      return contentType?.toLowerCase() === 'audio' ? 'audio/mp4' : 'video/mp4';
    case 'bin':
      return 'application/octet-stream';
  }
}
