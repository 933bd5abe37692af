import { randomUUID } from 'node:crypto';
import type { RecordingFiles } from './types';

/** Microsoft's documented shapes of RecordingFileStatusUpdated and of the per-chunk metadata file (SPEC section 3). */

export const EMULATOR_TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.Communication/CommunicationServices/acs-emulator';

export type RecordingFormat = 'mp4' | 'mp3' | 'wav';

export const FORMAT_DETAILS: Record<
  RecordingFormat,
  { mime: string; contentType: string; formatType: string; locationKind: 'video' | 'audio' }
> = {
  mp4: { mime: 'video/mp4', contentType: 'AudioVideo', formatType: 'Mp4', locationKind: 'video' },
  mp3: { mime: 'audio/mpeg', contentType: 'Audio', formatType: 'Mp3', locationKind: 'audio' },
  wav: { mime: 'audio/wav', contentType: 'Audio', formatType: 'Wav', locationKind: 'audio' },
};

export interface ChunkMetadataInput {
  callId: string;
  documentId: string;
  index: number;
  startTime: string;
  durationMs: number;
  format: RecordingFormat;
  participants: string[];
  channelType: 'mixed' | 'unmixed';
  pauseResumeIntervals: Array<{ startTime: string; duration: number }>;
}

/** The acsmetadata JSON of one chunk, as documented ("Call Recording metadata schema"). */
export function chunkMetadata(input: ChunkMetadataInput): Buffer {
  const video = input.format === 'mp4';
  const metadata = {
    resourceId: '00000000-0000-0000-0000-000000000000',
    callId: input.callId,
    chunkDocumentId: input.documentId,
    chunkIndex: input.index,
    chunkStartTime: input.startTime,
    chunkDuration: input.durationMs,
    pauseResumeIntervals: input.pauseResumeIntervals,
    recordingInfo: {
      contentType: video ? 'audioVideo' : 'audio',
      channelType: input.channelType,
      format: input.format,
      audioConfiguration: { sampleRate: 16000, bitRate: 128000, channels: 1 },
      ...(video
        ? { videoConfiguration: { longerSideLength: 1920, shorterSideLength: 1080, framerate: 8, bitRate: 1000000 } }
        : {}),
    },
    participants: input.participants.map((participantId, channel) =>
      input.channelType === 'unmixed' ? { participantId, channel } : { participantId },
    ),
  };
  return Buffer.from(JSON.stringify(metadata, null, 2), 'utf8');
}

export interface EventOptions {
  schema?: 'EventGrid' | 'CloudEvents';
  form?: 'ga' | '2021';
  chunkIndices?: number[];
  id?: string;
  time?: string;
}

export function recordingFileStatusEvent(files: RecordingFiles, opts: EventOptions = {}): object {
  const form = opts.form ?? 'ga';
  const chunks = files.chunks.filter((c) => !opts.chunkIndices || opts.chunkIndices.includes(c.index));
  const recordingChunks = chunks.map((c) =>
    form === 'ga'
      ? {
          documentId: c.documentId,
          index: c.index,
          endReason: c.endReason,
          contentLocation: c.contentLocation,
          metadataLocation: c.metadataLocation,
          deleteLocation: c.deleteLocation,
        }
      : { documentId: c.documentId, index: c.index, endReason: c.endReason },
  );
  const data =
    form === 'ga'
      ? {
          recordingStorageInfo: { recordingChunks },
          recordingStartTime: files.recordingStartTime,
          recordingDurationMs: files.recordingDurationMs,
          sessionEndReason: 'CallEnded',
          recordingContentType: files.contentType,
          recordingChannelType: files.channelType,
          recordingFormatType: files.formatType,
        }
      : {
          recordingStorageInfo: { recordingChunks },
          recordingStartTime: files.recordingStartTime,
          recordingDurationMs: files.recordingDurationMs,
          sessionEndReason: 'CallEnded',
        };
  const subject =
    form === 'ga'
      ? `/recording/call/${files.callId}/serverCallId/${files.serverCallId}/recordingId/${files.recordingId}`
      : `/recording/call/${files.callId}`;
  return eventEnvelope('Microsoft.Communication.RecordingFileStatusUpdated', subject, data, opts);
}

/** Wraps `data` in the Event Grid schema or CloudEvents 1.0, as Event Grid delivers it. */
export function eventEnvelope(
  type: string,
  subject: string,
  data: object,
  opts: { schema?: 'EventGrid' | 'CloudEvents'; id?: string; time?: string } = {},
): object {
  const id = opts.id ?? randomUUID();
  const time = opts.time ?? new Date().toISOString();
  if (opts.schema === 'CloudEvents') {
    return {
      specversion: '1.0',
      id,
      source: EMULATOR_TOPIC,
      subject,
      type,
      time,
      datacontenttype: 'application/json',
      data,
    };
  }
  return {
    id,
    topic: EMULATOR_TOPIC,
    subject,
    eventType: type,
    eventTime: time,
    data,
    dataVersion: '1.0',
    metadataVersion: '1',
  };
}
