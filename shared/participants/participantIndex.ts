import type { ContainerClient } from '@azure/storage-blob';
import { isRecordingKey, isSafeToken } from '../archive/naming';
import { inParallel } from '../concurrency';
import { statusCode } from '../storage';
import { BadInputError } from '../errors';
import type { Logger } from '../logger';
import { isParticipantHash, participantHash, participantIdProblem } from './participantId';

/**
 * The participant index in the control container: one empty marker per participant and recording,
 * `participants/{sha256hex(participantId)}/{callId}/{recordingKey}`. The name carries no personal data in clear; a
 * participant's recordings are one prefix listing away.
 */

export interface RecordingRef {
  callId: string;
  recordingKey: string;
}

const PARTICIPANTS_PREFIX = 'participants/';
/** Markers written at once per recording (a call has a handful of participants; a town hall a few hundred). */
const WRITE_CONCURRENCY = 8;

function participantPrefix(hash: string): string {
  return `${PARTICIPANTS_PREFIX}${hash}/`;
}

function participantMarkerName(hash: string, ref: RecordingRef): string {
  return `${participantPrefix(hash)}${ref.callId}/${ref.recordingKey}`;
}

/** The recording a marker names, or null for a name that is not a marker. */
export function recordingOfMarker(name: string): (RecordingRef & { hash: string }) | null {
  if (!name.startsWith(PARTICIPANTS_PREFIX)) return null;
  const parts = name.slice(PARTICIPANTS_PREFIX.length).split('/');
  if (parts.length !== 3) return null;
  const [hash, callId, recordingKey] = parts as [string, string, string];
  if (!isParticipantHash(hash) || !callId || !recordingKey) return null;
  return { hash, callId, recordingKey };
}

/**
 * Writes the markers of `participantIds` for one recording. Idempotent: a marker that exists is left as it is. An id
 * that cannot be one is logged (by position, never in clear) and skipped, never an error; a storage failure throws,
 * so that the chunk is not marked archived and a redelivery writes the index again.
 */
export async function indexParticipants(
  control: ContainerClient,
  ref: RecordingRef,
  participantIds: string[],
  log: Logger,
): Promise<void> {
  await writeParticipantMarkers(control, ref, participantIds, log);
}

/** indexParticipants, telling how many markers were new. */
export async function writeParticipantMarkers(
  control: ContainerClient,
  ref: RecordingRef,
  participantIds: readonly string[],
  log: Logger,
): Promise<{ written: number; existing: number; skipped: number }> {
  checkRef(ref);
  const hashes = new Set<string>();
  let skipped = 0;
  participantIds.forEach((id, position) => {
    const problem = participantIdProblem(id);
    if (problem) {
      skipped++;
      log.warn(`Participant index of ${ref.callId}/${ref.recordingKey}: participant ${position} ${problem}; skipped`);
    } else hashes.add(participantHash(id));
  });
  return { ...(await writeMarkersFor(control, ref, [...hashes])), skipped };
}

/** Writes the markers of already hashed participants. */
async function writeMarkersFor(
  control: ContainerClient,
  ref: RecordingRef,
  hashes: readonly string[],
): Promise<{ written: number; existing: number }> {
  checkRef(ref);
  let written = 0;
  let existing = 0;
  await inParallel(hashes, WRITE_CONCURRENCY, async (hash) => {
    try {
      await control.getBlockBlobClient(participantMarkerName(hash, ref)).upload('', 0, {
        conditions: { ifNoneMatch: '*' },
      });
      written++;
    } catch (error) {
      const status = statusCode(error);
      if (status !== 409 && status !== 412) throw error;
      existing++;
    }
  });
  return { written, existing };
}

/** Deletes markers; a marker already gone is fine. Returns how many existed. */
export async function deleteMarkersFor(
  control: ContainerClient,
  ref: RecordingRef,
  hashes: readonly string[],
): Promise<number> {
  let deleted = 0;
  await inParallel(hashes, WRITE_CONCURRENCY, async (hash) => {
    const response = await control.getBlockBlobClient(participantMarkerName(hash, ref)).deleteIfExists();
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

function checkRef(ref: RecordingRef): void {
  if (typeof ref.callId !== 'string' || !isSafeToken(ref.callId)) {
    throw new BadInputError('callId is not a safe path segment', 'callId');
  }
  if (typeof ref.recordingKey !== 'string' || !isRecordingKey(ref.recordingKey)) {
    throw new BadInputError('recordingKey is not a recording key of the archive', 'recordingKey');
  }
}
