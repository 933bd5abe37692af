import { createHash } from 'node:crypto';

/**
 * Names in the archive (SPEC section 6). Every segment taken from input is validated: a value that does not fit is
 * a rejection, never a rewrite, so nothing from an event can escape its folder.
 */

const SAFE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SAFE_DOCUMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/** A GUID-like or base64url-like token of bounded length: safe as a blob path segment. */
export function isSafeToken(value: string): boolean {
  return SAFE_TOKEN.test(value);
}

export function isSafeDocumentId(value: string): boolean {
  return SAFE_DOCUMENT_ID.test(value) && !value.includes('..');
}

export const MAX_CHUNK_INDEX = 9999;

export type MediaFormat = 'mp4' | 'mp3' | 'wav';

/**
 * `20210727T152023Z-1a2b3c4d`: the start time in compact UTC (fraction truncated), then the first 8 hex digits of the
 * SHA-256 of the recordingId (or, without one, of the start time exactly as the event gives it).
 * Returns null when the start time is not an ISO-8601 UTC timestamp.
 */
export function recordingKeyFor(recordingStartTime: string, recordingId: string | null): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]00:00)$/.exec(recordingStartTime);
  if (!match || Number.isNaN(Date.parse(recordingStartTime))) return null;
  const [, y, mo, d, h, mi, s] = match;
  const hash = createHash('sha256')
    .update(recordingId ?? recordingStartTime, 'utf8')
    .digest('hex')
    .slice(0, 8);
  return `${y}${mo}${d}T${h}${mi}${s}Z-${hash}`;
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

/** Marks a recording with work left to do, so the sweeper finds it without listing the whole archive. */
export function pendingMarkerName(callId: string, recordingKey: string): string {
  return `_pending/${recordingFolder(callId, recordingKey)}`;
}

/** The blob leased by the one invocation that copies a recording at a time. */
export function lockBlobName(callId: string, recordingKey: string): string {
  return `_locks/${recordingFolder(callId, recordingKey)}`;
}

/** `_rejected/{yyyy}/{mm}/{dd}/{name}.json`, UTC date of receipt. */
export function rejectedBlobName(receivedAt: Date, name: string): string {
  const yyyy = receivedAt.getUTCFullYear();
  const mm = String(receivedAt.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(receivedAt.getUTCDate()).padStart(2, '0');
  return `_rejected/${yyyy}/${mm}/${dd}/${name}.json`;
}

/** The format's file extension, from the event's recordingFormatType (case-insensitive); 2021 files are MP4. */
export function formatFor(formatType: string | null): MediaFormat | null {
  if (formatType === null) return 'mp4';
  const lower = formatType.toLowerCase();
  return lower === 'mp4' || lower === 'mp3' || lower === 'wav' ? lower : null;
}

export function mimeTypeFor(format: MediaFormat, contentType: string | null): string {
  switch (format) {
    case 'mp3':
      return 'audio/mpeg';
    case 'wav':
      return 'audio/wav';
    case 'mp4':
      return contentType?.toLowerCase() === 'audio' ? 'audio/mp4' : 'video/mp4';
  }
}
