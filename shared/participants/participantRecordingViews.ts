import type { ContainerClient } from '@azure/storage-blob';
import type { Manifest, ManifestChunk } from '../archive';
import { BadInputError, PermanentError } from '../errors';
import type { Logger } from '../logger';
import { canonicalParticipantId, participantHash, type RecordingRef } from '../recording';
import { participantRecordingsPage } from './participantIndex';
import { readManifest } from './recordingFolder';

/**
 * The recordings of one participant as the API answers them: each manifest's fields, without the chunks' source
 * locations (the ACS store's URLs: useless once the files expire, and nothing a back end should call), and without
 * the other participants' ids: a recording names everyone in the call (phone numbers among them), and a caller
 * asking about one person learns how many others there were, never who. The participant's own id appears only as
 * the caller gave it (on the channel of an unmixed recording that is theirs).
 */

type ChannelAssignment = NonNullable<Manifest['channels']>[number];
export type ChunkView = Omit<ManifestChunk, 'contentLocation' | 'metadataLocation' | 'deleteLocation'>;
/** A channel of an unmixed recording: the caller's id (as given) on their own channel, null on anyone else's. */
export type ChannelView = Omit<ChannelAssignment, 'participantId'> & { participantId: string | null };
export type RecordingView = Omit<Manifest, 'chunks' | 'participants' | 'channels'> & {
  /** How many different people the manifest lists (the caller included). */
  participantCount: number;
  channels: ChannelView[] | null;
  chunks: ChunkView[];
};

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const MAX_TOKEN_LENGTH = 2048;

export function toRecordingView(manifest: Manifest, participantId: string): RecordingView {
  const { chunks, participants, channels, ...rest } = manifest;
  const own = canonicalParticipantId(participantId);
  return {
    ...rest,
    participantCount: new Set((participants ?? []).map(canonicalParticipantId)).size,
    channels: Array.isArray(channels)
      ? channels.map((c) => ({
          ...c,
          participantId: canonicalParticipantId(String(c.participantId)) === own ? participantId : null,
        }))
      : null,
    chunks: chunks.map((chunk) => {
      const { contentLocation: _c, metadataLocation: _m, deleteLocation: _d, ...view } = chunk;
      return view;
    }),
  };
}

/** `pageSize` query value: 1-100, default 20. */
export function parsePageSize(value: string | null | undefined): number {
  if (value === null || value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE_SIZE) {
    throw new BadInputError(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 'pageSize');
  }
  return Number(value);
}

/** `continuationToken` query value, exactly as a previous page returned it. */
export function parseContinuationToken(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new BadInputError('continuationToken is not one this API returned', 'continuationToken');
  }
  return value;
}

/**
 * One page. A page may hold fewer recordings than pageSize (an index marker whose recording was erased, or whose
 * manifest cannot be read, is skipped with a warning); only a null continuationToken means the end. An unknown
 * participant is an empty page, never an error.
 */
export async function participantRecordingViews(
  stores: { archive: ContainerClient; control: ContainerClient },
  participantId: string,
  page: { pageSize: number; continuationToken?: string },
  log: Logger,
): Promise<{ recordings: RecordingView[]; continuationToken: string | null }> {
  const found = await participantRecordingsPage(stores.control, participantHash(participantId), page);
  const views = await Promise.all(found.recordings.map((ref) => viewOf(stores.archive, ref, participantId, log)));
  return { recordings: views.filter((v) => v !== null), continuationToken: found.continuationToken };
}

async function viewOf(
  archive: ContainerClient,
  ref: RecordingRef,
  participantId: string,
  log: Logger,
): Promise<RecordingView | null> {
  let manifest: Manifest | null;
  try {
    manifest = await readManifest(archive, ref);
  } catch (error) {
    if (!(error instanceof PermanentError)) throw error;
    log.warn(`participants: manifest of ${ref.callId}/${ref.recordingKey} cannot be read (${error.code}); skipped`);
    return null;
  }
  if (!manifest) {
    log.warn(`participants: index marker for ${ref.callId} without a manifest; skipped`);
    return null;
  }
  if (!Array.isArray(manifest.chunks)) {
    log.warn(`participants: manifest of ${ref.callId}/${ref.recordingKey} is not a manifest; skipped`);
    return null;
  }
  return toRecordingView(manifest, participantId);
}
