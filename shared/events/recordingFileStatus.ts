import { BadInputError } from '../errors';
import {
  formatFor,
  isSafeDocumentId,
  isSafeToken,
  MAX_CHUNK_INDEX,
  recordingKeyFor,
  type MediaFormat,
} from '../archive/naming';

export const RECORDING_FILE_STATUS_UPDATED = 'Microsoft.Communication.RecordingFileStatusUpdated';

/** What the archiver needs of an incoming event, whatever its schema (Event Grid or CloudEvents). */
export interface IncomingEvent {
  id: string;
  type: string;
  subject: string;
  /** ISO time the event was raised. */
  time: string;
  data: unknown;
}

export interface ChunkRef {
  index: number;
  documentId: string;
  endReason: string;
  /** null when the event gives no location and none can be built (2021 form without the conversations dialect). */
  contentLocation: string | null;
  metadataLocation: string | null;
  deleteLocation: string | null;
}

/** A validated RecordingFileStatusUpdated event: everything the archive needs, nothing unchecked. */
export interface RecordingPlan {
  eventId: string;
  eventTime: string;
  form: 'ga' | '2021';
  callId: string;
  serverCallId: string | null;
  recordingId: string | null;
  recordingKey: string;
  recordingStartTime: string;
  recordingDurationMs: number | null;
  sessionEndReason: string | null;
  contentType: string | null;
  channelType: string | null;
  formatType: string | null;
  format: MediaFormat;
  /** ISO time the source files expire. */
  deadline: string;
  /** Sorted by index, one per index. */
  chunks: ChunkRef[];
}

export interface PlanOptions {
  /** The ACS endpoint, for the 2021 download paths. */
  endpoint: URL;
  dialect: 'calling' | 'conversations';
  retentionHours: number;
}

/** ACS caps a recording far below this; anything longer is not a real event. */
const MAX_RECORDING_MS = 30 * 24 * 3_600_000;

const SUBJECT = /^\/recording\/call\/([^/]+)(?:\/serverCallId\/([^/]+))?(?:\/recordingId\/(.+))?$/;

/**
 * Validates a RecordingFileStatusUpdated event as a whole: any bad part makes the whole event a BadInputError whose
 * message names the field. Lenient where real captures vary (enum casing, absent optional fields).
 */
export function planFromEvent(event: IncomingEvent, options: PlanOptions): RecordingPlan {
  if (event.type !== RECORDING_FILE_STATUS_UPDATED) {
    throw new BadInputError(`event type is '${event.type}', expected '${RECORDING_FILE_STATUS_UPDATED}'`, 'eventType');
  }
  if (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > 256) {
    throw new BadInputError('event is missing a valid id', 'id');
  }
  const eventTimeMs = typeof event.time === 'string' ? Date.parse(event.time) : NaN;
  if (Number.isNaN(eventTimeMs)) throw new BadInputError('event time is missing or not an ISO time', 'eventTime');

  const subject = SUBJECT.exec(typeof event.subject === 'string' ? event.subject : '');
  if (!subject) {
    throw new BadInputError(
      `subject '${String(event.subject).slice(0, 200)}' is not /recording/call/{callId}[/serverCallId/{id}/recordingId/{id}]`,
      'subject',
    );
  }
  const [, callId = '', serverCallId, recordingId] = subject;
  if (!isSafeToken(callId)) throw new BadInputError('subject holds an unsafe call id', 'subject.callId');
  if (serverCallId !== undefined && !/^[A-Za-z0-9_-]{1,2048}$/.test(serverCallId)) {
    throw new BadInputError('subject holds an unsafe serverCallId (expected base64url)', 'subject.serverCallId');
  }
  if (recordingId !== undefined && recordingId.length > 2048) {
    throw new BadInputError('subject holds a recordingId longer than 2048 characters', 'subject.recordingId');
  }

  const data = asObject(event.data, 'data');
  const storageInfo = asObject(data.recordingStorageInfo, 'data.recordingStorageInfo');
  const rawChunks = storageInfo.recordingChunks;
  if (!Array.isArray(rawChunks) || rawChunks.length === 0) {
    throw new BadInputError(
      'data.recordingStorageInfo.recordingChunks must be a non-empty array',
      'data.recordingStorageInfo.recordingChunks',
    );
  }
  if (rawChunks.length > MAX_CHUNK_INDEX + 1) {
    throw new BadInputError(
      'data.recordingStorageInfo.recordingChunks has more chunks than any recording can',
      'data.recordingStorageInfo.recordingChunks',
    );
  }

  const recordingStartTime = requiredString(data.recordingStartTime, 'data.recordingStartTime');
  const recordingKey = recordingKeyFor(recordingStartTime, recordingId ?? null);
  if (!recordingKey)
    throw new BadInputError('data.recordingStartTime is not an ISO-8601 UTC time', 'data.recordingStartTime');
  const recordingDurationMs = optionalNumber(data.recordingDurationMs, 'data.recordingDurationMs');
  if (recordingDurationMs !== null && recordingDurationMs > MAX_RECORDING_MS) {
    // NOTE: found by the fuzz tests: an absurd duration made the deadline an invalid date (an unclassified throw).
    throw new BadInputError(
      'data.recordingDurationMs is longer than any recording (over 30 days)',
      'data.recordingDurationMs',
    );
  }
  const formatType = optionalString(data.recordingFormatType, 'data.recordingFormatType');
  const format = formatFor(formatType);
  if (!format)
    throw new BadInputError(
      `data.recordingFormatType '${formatType}' is not Mp4, Mp3 or Wav`,
      'data.recordingFormatType',
    );

  const byIndex = new Map<number, ChunkRef>();
  let form: 'ga' | '2021' = 'ga';
  rawChunks.forEach((raw, position) => {
    const chunk = parseChunk(raw, `data.recordingStorageInfo.recordingChunks[${position}]`, options);
    if (!hasGaLocations(raw)) form = '2021';
    const seen = byIndex.get(chunk.index);
    if (seen && seen.documentId !== chunk.documentId) {
      throw new BadInputError(
        `chunk index ${chunk.index} appears twice with different documentIds`,
        `data.recordingStorageInfo.recordingChunks[${position}].index`,
      );
    }
    if (!seen) byIndex.set(chunk.index, chunk);
  });

  const retentionMs = options.retentionHours * 3_600_000;
  const startMs = Date.parse(recordingStartTime);
  const deadlineMs =
    recordingDurationMs !== null ? startMs + recordingDurationMs + retentionMs : eventTimeMs + retentionMs;

  if (Number.isNaN(new Date(deadlineMs).getTime())) {
    throw new BadInputError('event times are out of range (the deadline is not a date)', 'eventTime');
  }
  return {
    eventId: event.id,
    eventTime: new Date(eventTimeMs).toISOString(),
    form,
    callId,
    serverCallId: serverCallId ?? null,
    recordingId: recordingId ?? null,
    recordingKey,
    recordingStartTime,
    recordingDurationMs,
    sessionEndReason: optionalString(data.sessionEndReason, 'data.sessionEndReason'),
    contentType: optionalString(data.recordingContentType, 'data.recordingContentType'),
    channelType: optionalString(data.recordingChannelType, 'data.recordingChannelType'),
    formatType,
    format,
    deadline: new Date(deadlineMs).toISOString(),
    chunks: [...byIndex.values()].sort((a, b) => a.index - b.index),
  };
}

function hasGaLocations(raw: unknown): boolean {
  return typeof (raw as { contentLocation?: unknown }).contentLocation === 'string';
}

function parseChunk(raw: unknown, path: string, options: PlanOptions): ChunkRef {
  const chunk = asObject(raw, path);
  const index = chunk.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_CHUNK_INDEX) {
    throw new BadInputError(`${path}.index must be an integer from 0 to ${MAX_CHUNK_INDEX}`, `${path}.index`);
  }
  const documentId = requiredString(chunk.documentId, `${path}.documentId`);
  if (!isSafeDocumentId(documentId))
    throw new BadInputError(`${path}.documentId is not a safe document id`, `${path}.documentId`);
  const endReason = requiredString(chunk.endReason, `${path}.endReason`);
  let contentLocation = optionalUrl(chunk.contentLocation, `${path}.contentLocation`);
  let metadataLocation = optionalUrl(chunk.metadataLocation, `${path}.metadataLocation`);
  const deleteLocation = optionalUrl(chunk.deleteLocation, `${path}.deleteLocation`);
  if ((contentLocation === null) !== (metadataLocation === null)) {
    throw new BadInputError(`${path} has only one of contentLocation and metadataLocation`, `${path}.metadataLocation`);
  }
  if (contentLocation === null && options.dialect === 'conversations') {
    // NOTE: the 2021 preview's download paths; today's service refuses built URLs, so they are built only for the
    // conversations dialect and only when the event gives no locations (SPEC section 3).
    const base = new URL(`recording/download/${encodeURIComponent(documentId)}`, options.endpoint);
    contentLocation = base.href;
    metadataLocation = `${base.href}/metadata`;
  }
  return { index, documentId, endReason, contentLocation, metadataLocation, deleteLocation };
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadInputError(`${field} is missing or not an object`, field);
  }
  return value as Record<string, unknown>;
}

function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new BadInputError(`${field} is missing or not a string`, field);
  if (value.length > 4096) throw new BadInputError(`${field} is longer than 4096 characters`, field);
  return value;
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  return requiredString(value, field);
}

function optionalNumber(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BadInputError(`${field} must be a non-negative number`, field);
  }
  return value;
}

function optionalUrl(value: unknown, field: string): string | null {
  const text = optionalString(value, field);
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadInputError(`${field} is not an absolute URL`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BadInputError(`${field} is not an http(s) URL`, field);
  return url.href;
}
