import { randomUUID } from 'node:crypto';
import {
  BufferContent,
  bufferSha256,
  REAL_MEDIA_DURATION_MS,
  realMedia,
  unmixedWav,
  type ContentSource,
} from './documentStore';
import { newDocumentId, newRecordingId, newServerCallId } from './ids';
import type { RecordingChunk, RecordingFiles, RecordingFilesSpec } from './records';
import type { EmulatorState } from './state';
import { SyntheticContent } from './syntheticContent';

/** Making recording files: documents in the store, their metadata JSON, and what an event says about them. */

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
  /** What `recordingInfo.format` says; null leaves it out. */
  metadataFormat: string | null;
  participants: string[];
  channelType: 'mixed' | 'unmixed';
  pauseResumeIntervals: Array<{ startTime: string; duration: number }>;
}

/**
 * The acsmetadata JSON of one chunk, as documented (Learn "Call Recording metadata schema"): for an unmixed recording
 * each participant has the `channel` it was assigned to, and `audioConfiguration.channels` counts them.
 */
export function chunkMetadata(input: ChunkMetadataInput): Buffer {
  const video = input.format === 'mp4';
  const unmixed = input.channelType === 'unmixed';
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
      ...(input.metadataFormat === null ? {} : { format: input.metadataFormat }),
      audioConfiguration: {
        sampleRate: 16000,
        bitRate: 128000,
        channels: unmixed ? Math.max(1, input.participants.length) : 1,
      },
      ...(video
        ? { videoConfiguration: { longerSideLength: 1920, shorterSideLength: 1080, framerate: 8, bitRate: 1000000 } }
        : {}),
    },
    participants: input.participants.map((participantId, channel) =>
      unmixed ? { participantId, channel } : { participantId },
    ),
  };
  return Buffer.from(JSON.stringify(metadata, null, 2), 'utf8');
}

/** Stores the documents of a recording (real media or synthetic bytes) and describes them. */
export async function createRecordingFiles(state: EmulatorState, spec: RecordingFilesSpec): Promise<RecordingFiles> {
  const format = spec.format ?? 'mp4';
  const details = FORMAT_DETAILS[format];
  const callId = spec.callId ?? randomUUID();
  const seed = spec.seed ?? randomUUID();
  const participants = spec.participants ?? [`8:acs:${randomUUID()}`, `8:acs:${randomUUID()}`];
  const chunkSpecs =
    typeof spec.chunks === 'number' || spec.chunks === undefined
      ? Array.from({ length: spec.chunks ?? 1 }, () => ({
          size: spec.chunkSize,
          media: spec.chunkSize === undefined ? format : ('synthetic' as const),
          endReason: undefined as string | undefined,
        }))
      : spec.chunks;
  const startTime = new Date(spec.recordingStartTime ?? Date.now());
  const storage = state.addresses.storageOrigin;
  let offsetMs = 0;
  const chunks: RecordingChunk[] = [];
  for (const [index, chunkSpec] of chunkSpecs.entries()) {
    const media = chunkSpec.media ?? (chunkSpec.size === undefined ? format : 'synthetic');
    const documentId = newDocumentId();
    let content: ContentSource;
    let sha256: string;
    let mime = details.mime;
    if (media === 'synthetic') {
      const synthetic = new SyntheticContent(`${seed}/${index}`, chunkSpec.size ?? 1024 * 1024);
      content = synthetic;
      sha256 = await synthetic.sha256();
    } else {
      const unmixed = media === 'wav' && spec.channelType === 'unmixed' && participants.length > 1;
      const bytes = unmixed ? unmixedWav(participants.length) : realMedia(media);
      content = new BufferContent(bytes);
      sha256 = bufferSha256(bytes);
      mime = FORMAT_DETAILS[media].mime;
    }
    // Synthetic media "lasts" one second per MiB, real samples their own 3 s.
    const durationMs =
      media === 'synthetic' ? Math.max(1000, Math.round(content.size / 1048.576)) : REAL_MEDIA_DURATION_MS;
    const metadata = chunkMetadata({
      callId,
      documentId,
      index,
      startTime: new Date(startTime.getTime() + offsetMs).toISOString(),
      durationMs,
      format,
      metadataFormat: spec.metadataFormat === undefined ? format : spec.metadataFormat,
      participants,
      channelType: spec.channelType ?? 'mixed',
      pauseResumeIntervals: spec.pauseResumeIntervals ?? [],
    });
    offsetMs += durationMs;
    const isLast = index === chunkSpecs.length - 1;
    const stored = state.documents.add({
      documentId,
      content,
      mime,
      metadata,
      seed: `${seed}/${index}`,
    });
    chunks.push({
      index,
      documentId,
      endReason: chunkSpec.endReason ?? (isLast ? 'SessionEnded' : 'ChunkMaximumSizeExceeded'),
      contentLocation: `${storage}/v1/objects/${documentId}/content/${details.locationKind}`,
      metadataLocation: `${storage}/v1/objects/${documentId}/content/acsmetadata`,
      deleteLocation: `${storage}/v1/objects/${documentId}`,
      size: content.size,
      sha256,
      metadata,
      metadataSha256: bufferSha256(metadata),
      contentType: mime,
      etag: stored.etag,
    });
  }
  return {
    callId,
    serverCallId: spec.serverCallId ?? newServerCallId(state.settings.serverCallIdStyle),
    recordingId: spec.recordingId ?? newRecordingId(),
    recordingStartTime: startTime.toISOString().replace('Z', '0000Z'),
    recordingDurationMs: offsetMs,
    contentType: details.contentType,
    channelType: spec.channelType === 'unmixed' ? 'Unmixed' : 'Mixed',
    formatType: details.formatType,
    chunks,
  };
}
