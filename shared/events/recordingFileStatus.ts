import type { AcsRecordingChunkInfo, AcsRecordingFileStatusUpdatedEventData } from '@azure/eventgrid';
import {
  isPrintableAscii,
  parseServerCallId,
  formatFor,
  isSafeDocumentId,
  isSafeToken,
  MAX_CHUNK_INDEX,
  recordingKeyFor,
  type ChunkRef,
  type RecordingFields,
} from '../recording';
import { BadInputError } from '../errors';
import { safeText } from '../text';

export type { ChunkRef } from '../recording/identity';

export const RECORDING_FILE_STATUS_UPDATED = 'Microsoft.Communication.RecordingFileStatusUpdated';

/** What the archiver needs of an incoming event, whatever its schema (Event Grid or CloudEvents). */
export interface IncomingEvent {
  id: string;
  type: string;
  subject: string;
  /** ISO time the event was raised; empty when a CloudEvent has none (the receipt time then stands in). */
  time: string;
  data: unknown;
}

/** A validated RecordingFileStatusUpdated event: everything the archive needs, nothing unchecked. */
export interface RecordingPlan extends RecordingFields {
  eventId: string;
  eventTime: string;
  form: 'ga' | '2021';
  /** Sorted by index, one per index. */
  chunks: ChunkRef[];
}

export interface PlanOptions {
  /** The ACS endpoint, for the 2021 download paths. */
  endpoint: URL;
  dialect: 'calling' | 'conversations';
  retentionHours: number;
  /** When the event was received: its time when it has none (CloudEvents makes `time` optional). */
  receivedAt?: Date;
}

/**
 * The event data as the service sends it. NOTE: `@azure/eventgrid` types every chunk field as required, but the schema
 * (docs/architecture.md) requires only documentId and index, and 2021 events carry neither locations nor formats; so the
 * SDK's shape is taken as the vocabulary and every other field is optional here, and open-ended strings.
 */
type LenientData = Partial<Omit<AcsRecordingFileStatusUpdatedEventData, 'recordingStorageInfo'>> & {
  recordingStorageInfo?: { recordingChunks?: Partial<AcsRecordingChunkInfo>[] };
  recordingId?: string;
  /** Bring your own storage: where ACS exported the files (`AzureBlob`); not in the SDK's type. */
  storageType?: string;
};

/** ACS caps a recording far below this; anything longer is not a real event. */
const MAX_RECORDING_MS = 30 * 24 * 3_600_000;
const MAX_ID_LENGTH = 2048;

/**
 * Validates a RecordingFileStatusUpdated event as a whole: any bad part makes the whole event a BadInputError whose
 * message names the field. As lenient as the schema: only the chunks (documentId, index) are required; a missing time,
 * duration, end reason or format is null, enum values are open-ended strings, and an unknown format is archived as
 * `bin`.
 */
export function planFromEvent(event: IncomingEvent, options: PlanOptions): RecordingPlan {
  if (event.type !== RECORDING_FILE_STATUS_UPDATED) {
    throw new BadInputError(
      `event type is '${safeText(event.type, 100)}', expected '${RECORDING_FILE_STATUS_UPDATED}'`,
      'eventType',
    );
  }
  if (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > 256) {
    throw new BadInputError('event is missing a valid id', 'id');
  }
  // NOTE: a CloudEvent may lack `time` (optional in CloudEvents 1.0; replays from a dead-letter blob or a custom topic
  // do): the receipt time stands in. A time that is there but unreadable is still a rejection.
  const timeGiven = typeof event.time === 'string' && event.time !== '';
  const eventTimeMs = timeGiven ? Date.parse(event.time) : (options.receivedAt?.getTime() ?? NaN);
  if (Number.isNaN(eventTimeMs)) throw new BadInputError('event time is missing or not an ISO time', 'eventTime');

  const subject = parseSubject(typeof event.subject === 'string' ? event.subject : '');
  const data = asObject(event.data, 'data') as LenientData;
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

  const dataRecordingId = optionalString(data.recordingId, 'data.recordingId');
  const recordingId = dataRecordingId ?? subject.recordingId;
  if (recordingId !== null && recordingId.length > MAX_ID_LENGTH) {
    throw new BadInputError(`recordingId is longer than ${MAX_ID_LENGTH} characters`, 'subject.recordingId');
  }
  const recordingStartTime = optionalString(data.recordingStartTime, 'data.recordingStartTime');
  const recordingDurationMs = optionalNumber(data.recordingDurationMs, 'data.recordingDurationMs');
  if (recordingDurationMs !== null && recordingDurationMs > MAX_RECORDING_MS) {
    // NOTE: found by the fuzz tests: an absurd duration made the deadline an invalid date (an unclassified throw).
    throw new BadInputError(
      'data.recordingDurationMs is longer than any recording (over 30 days)',
      'data.recordingDurationMs',
    );
  }
  const formatType = optionalString(data.recordingFormatType, 'data.recordingFormatType');
  const contentType = optionalString(data.recordingContentType, 'data.recordingContentType');
  const channelType = optionalString(data.recordingChannelType, 'data.recordingChannelType');

  const byIndex = new Map<number, ChunkRef>();
  const form: 'ga' | '2021' = rawChunks.every(
    (raw) => typeof (raw as { contentLocation?: unknown } | null)?.contentLocation === 'string',
  )
    ? 'ga'
    : '2021';
  rawChunks.forEach((raw, position) => {
    const chunk = parseChunk(raw, `data.recordingStorageInfo.recordingChunks[${position}]`, options);
    const seen = byIndex.get(chunk.index);
    if (seen && seen.documentId !== chunk.documentId) {
      throw new BadInputError(
        `chunk index ${chunk.index} appears twice with different documentIds`,
        `data.recordingStorageInfo.recordingChunks[${position}].index`,
      );
    }
    if (!seen) byIndex.set(chunk.index, chunk);
  });

  // The deadline: start + duration + retention when both are known, otherwise event time + retention.
  const retentionMs = options.retentionHours * 3_600_000;
  const startMs = recordingStartTime === null ? NaN : Date.parse(recordingStartTime);
  const deadlineMs =
    recordingDurationMs !== null && !Number.isNaN(startMs)
      ? startMs + recordingDurationMs + retentionMs
      : eventTimeMs + retentionMs;
  // Only the 2021 form (documentIds without locations, no content/channel/format fields) is MP4 by definition; any
  // other event without a format leaves it to each chunk's metadata file.
  const impliedMp4 = form === '2021' && formatType === null && contentType === null && channelType === null;
  if (Number.isNaN(new Date(deadlineMs).getTime())) {
    throw new BadInputError('event times are out of range (the deadline is not a date)', 'eventTime');
  }
  return {
    eventId: event.id,
    eventTime: new Date(eventTimeMs).toISOString(),
    form,
    callId: subject.callId,
    serverCallId: subject.serverCallId,
    recordingId,
    recordingKey: recordingKeyFor(recordingStartTime, recordingId),
    recordingStartTime,
    recordingDurationMs,
    sessionEndReason: optionalString(data.sessionEndReason, 'data.sessionEndReason'),
    contentType,
    channelType,
    formatType,
    format: impliedMp4 ? 'mp4' : formatFor(formatType),
    storageType: optionalString(data.storageType, 'data.storageType'),
    deadline: new Date(deadlineMs).toISOString(),
    chunks: [...byIndex.values()].sort((a, b) => a.index - b.index),
  };
}

const SUBJECT_PREFIX = '/recording/call/';
const SERVER_CALL_ID_MARKER = '/serverCallId/';
const RECORDING_ID_MARKER = '/recordingId/';

/**
 * `/recording/call/{callId}[/serverCallId/{serverCallId}][/recordingId/{recordingId}]`. Both ids are opaque and may
 * contain '/' (standard base64), so the subject is cut at its markers, never split on '/'.
 */
export function parseSubject(subject: string): {
  callId: string;
  serverCallId: string | null;
  recordingId: string | null;
} {
  const fail = (): never => {
    throw new BadInputError(
      `subject '${safeText(subject, 200)}' is not /recording/call/{callId}[/serverCallId/{id}][/recordingId/{id}]`,
      'subject',
    );
  };
  if (!subject.startsWith(SUBJECT_PREFIX)) fail();
  const rest = subject.slice(SUBJECT_PREFIX.length);
  const serverAt = rest.indexOf(SERVER_CALL_ID_MARKER);
  const recordingAt = rest.indexOf(RECORDING_ID_MARKER, serverAt < 0 ? 0 : serverAt + SERVER_CALL_ID_MARKER.length);
  const callEnd = serverAt >= 0 ? serverAt : recordingAt >= 0 ? recordingAt : rest.length;
  const callId = rest.slice(0, callEnd);
  if (!isSafeToken(callId)) {
    throw new BadInputError(`subject holds an unsafe call id '${safeText(callId, 60)}'`, 'subject.callId');
  }
  let serverCallId: string | null = null;
  if (serverAt >= 0) {
    const value = rest.slice(serverAt + SERVER_CALL_ID_MARKER.length, recordingAt >= 0 ? recordingAt : rest.length);
    serverCallId = parseServerCallId(value, 'subject.serverCallId');
  }
  let recordingId: string | null = null;
  if (recordingAt >= 0) {
    recordingId = rest.slice(recordingAt + RECORDING_ID_MARKER.length);
    if (!isPrintableAscii(recordingId)) {
      throw new BadInputError('subject holds an empty or non-printable recordingId', 'subject.recordingId');
    }
  }
  return { callId, serverCallId, recordingId };
}

function parseChunk(raw: unknown, path: string, options: PlanOptions): ChunkRef {
  const chunk = asObject(raw, path) as Partial<Record<keyof AcsRecordingChunkInfo, unknown>>;
  const index = chunk.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > MAX_CHUNK_INDEX) {
    throw new BadInputError(`${path}.index must be an integer from 0 to ${MAX_CHUNK_INDEX}`, `${path}.index`);
  }
  const documentId = requiredString(chunk.documentId, `${path}.documentId`);
  if (!isSafeDocumentId(documentId))
    throw new BadInputError(`${path}.documentId is not a safe document id`, `${path}.documentId`);
  const endReason = optionalString(chunk.endReason, `${path}.endReason`);
  let contentLocation = optionalUrl(chunk.contentLocation, `${path}.contentLocation`);
  let metadataLocation = optionalUrl(chunk.metadataLocation, `${path}.metadataLocation`);
  const deleteLocation = optionalUrl(chunk.deleteLocation, `${path}.deleteLocation`);
  if ((contentLocation === null) !== (metadataLocation === null)) {
    throw new BadInputError(`${path} has only one of contentLocation and metadataLocation`, `${path}.metadataLocation`);
  }
  if (contentLocation === null && options.dialect === 'conversations') {
    // NOTE: the 2021 preview's download paths; today's service refuses built URLs, so they are built only for the
    // conversations dialect and only when the event gives no locations: today's service refuses built URLs.
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
  if (value === undefined || value === null || value === '') return null;
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
