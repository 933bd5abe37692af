import { BadInputError } from '../errors';
import { isRecordingKey, isSafeToken, type MediaFormat } from './naming';

/**
 * What names a recording and a chunk, shared by the event's plan (events/) and the manifest (archive/): the plan says
 * what the events described, the manifest adds what the archive knows.
 */

/** A recording's folder in the archive: `{callId}/{recordingKey}/`. */
export interface RecordingRef {
  callId: string;
  recordingKey: string;
}

/** What the events say about a recording as a whole (null where they do not say). */
export interface RecordingFields extends RecordingRef {
  serverCallId: string | null;
  recordingId: string | null;
  recordingStartTime: string | null;
  recordingDurationMs: number | null;
  sessionEndReason: string | null;
  contentType: string | null;
  channelType: string | null;
  formatType: string | null;
  /**
   * The recording's file extension (mp4, mp3, wav, bin) once an event names its format (or, for the 2021 form, implies
   * MP4); null when the events say nothing, and the copier then reads each chunk's metadata file.
   */
  format: MediaFormat | null;
  /** `data.storageType` of bring-your-own-storage events (e.g. `AzureBlob`); null when absent. */
  storageType: string | null;
  /** ISO time the source files expire. */
  deadline: string;
}

/** A chunk as the events described it. */
export interface ChunkRef {
  index: number;
  documentId: string;
  /** null when the event does not say; such a chunk counts as the last one. */
  endReason: string | null;
  /** null when the event gives no location and none can be built (2021 form without the conversations dialect). */
  contentLocation: string | null;
  metadataLocation: string | null;
  deleteLocation: string | null;
}

/** Refuses a ref whose parts could not name a folder of the archive (BadInputError naming the field). */
export function checkRecordingRef(ref: RecordingRef): void {
  if (typeof ref.callId !== 'string' || !isSafeToken(ref.callId)) {
    throw new BadInputError('callId is not a safe path segment', 'callId');
  }
  if (typeof ref.recordingKey !== 'string' || !isRecordingKey(ref.recordingKey)) {
    throw new BadInputError('recordingKey is not a recording key of the archive', 'recordingKey');
  }
}
