import type { ContainerClient } from '@azure/storage-blob';
import { inParallel } from '../concurrency';
import { BadInputError } from '../errors';
import {
  type RecordingRef,
  participantMarkerName,
  participantPrefix,
  PARTICIPANTS_PREFIX,
  isParticipantHash,
} from '../recording';
import { statusCode } from '../storage';

/**
 * The read side of the participant index (archive/participantIndex.ts writes it): a participant's recordings, by
 * the SHA-256 of the id; and the deletion of its markers when an erasure is done.
 */

/** Markers deleted at once. */
const DELETE_CONCURRENCY = 8;

/** The recording a marker names, or null for a name that is not a marker. */
export function recordingOfMarker(name: string): (RecordingRef & { hash: string }) | null {
  if (!name.startsWith(PARTICIPANTS_PREFIX)) return null;
  const parts = name.slice(PARTICIPANTS_PREFIX.length).split('/');
  if (parts.length !== 3) return null;
  const [hash, callId, recordingKey] = parts as [string, string, string];
  if (!isParticipantHash(hash) || !callId || !recordingKey) return null;
  return { hash, callId, recordingKey };
}

/** Deletes markers; a marker already gone is fine. Returns how many existed. */
export async function deleteMarkersFor(
  control: ContainerClient,
  ref: RecordingRef,
  hashes: readonly string[],
): Promise<number> {
  let deleted = 0;
  await inParallel(hashes, DELETE_CONCURRENCY, async (hash) => {
    const marker = participantMarkerName(hash, ref.callId, ref.recordingKey);
    const response = await control.getBlockBlobClient(marker).deleteIfExists();
    if (response.succeeded) deleted++;
  });
  return deleted;
}

export interface RecordingPage {
  recordings: RecordingRef[];
  /** Pass back to get the next page; null on the last page. */
  continuationToken: string | null;
}

/**
 * One page of a participant's recordings, in index order (callId, then recordingKey). A continuation token Blob
 * Storage refuses (400: not one it returned) is the caller's bad input.
 */
export async function participantRecordingsPage(
  control: ContainerClient,
  hash: string,
  options: { pageSize: number; continuationToken?: string },
): Promise<RecordingPage> {
  const pages = control
    .listBlobsFlat({ prefix: participantPrefix(hash) })
    .byPage({ maxPageSize: options.pageSize, continuationToken: options.continuationToken });
  let next;
  try {
    next = await pages.next();
  } catch (error) {
    if (options.continuationToken !== undefined && statusCode(error) === 400) {
      throw new BadInputError('continuationToken is not one this API returned', 'continuationToken');
    }
    throw error;
  }
  if (next.done) return { recordings: [], continuationToken: null };
  const page = next.value;
  const recordings: RecordingRef[] = [];
  for (const item of page.segment.blobItems) {
    const ref = recordingOfMarker(item.name);
    if (ref?.hash === hash) recordings.push({ callId: ref.callId, recordingKey: ref.recordingKey });
  }
  return { recordings, continuationToken: page.continuationToken ? page.continuationToken : null };
}

/** Every recording of a participant, by hash. */
export async function* participantRecordings(control: ContainerClient, hash: string): AsyncIterable<RecordingRef> {
  for await (const item of control.listBlobsFlat({ prefix: participantPrefix(hash) })) {
    const ref = recordingOfMarker(item.name);
    if (ref?.hash === hash) yield { callId: ref.callId, recordingKey: ref.recordingKey };
  }
}
