import type { ContainerClient } from '@azure/storage-blob';
import { inParallel } from '../concurrency';
import type { Logger } from '../logger';
import {
  checkRecordingRef,
  type RecordingRef,
  participantMarkerName,
  participantHash,
  participantIdProblem,
} from '../recording';
import { statusCode } from '../storage';

/**
 * The write side of the participant index (its names: recording/naming.ts): the copier indexes a chunk's
 * participants before it marks the chunk archived; `index rebuild` writes it again from the archive. participants/
 * reads it.
 */

/** Markers written at once per recording (a call has a handful of participants; a town hall a few hundred). */
const WRITE_CONCURRENCY = 8;

/**
 * Writes the markers of `participantIds` for one recording, telling how many were new. Idempotent: a marker that
 * exists is left as it is. An id that cannot be one is logged (by position, never in clear) and skipped, never an
 * error; a storage failure throws, so that the chunk is not marked archived and a redelivery writes the index again.
 */
export async function indexParticipants(
  control: ContainerClient,
  ref: RecordingRef,
  participantIds: readonly string[],
  log: Logger,
): Promise<{ written: number; existing: number; skipped: number }> {
  checkRecordingRef(ref);
  const hashes = new Set<string>();
  let skipped = 0;
  participantIds.forEach((id, position) => {
    const problem = participantIdProblem(id);
    if (problem) {
      skipped++;
      log.warn(`Participant index of ${ref.callId}/${ref.recordingKey}: participant ${position} ${problem}; skipped`);
    } else hashes.add(participantHash(id));
  });
  let written = 0;
  let existing = 0;
  await inParallel([...hashes], WRITE_CONCURRENCY, async (hash) => {
    try {
      await control
        .getBlockBlobClient(participantMarkerName(hash, ref.callId, ref.recordingKey))
        .upload('', 0, { conditions: { ifNoneMatch: '*' } });
      written++;
    } catch (error) {
      const status = statusCode(error);
      if (status !== 409 && status !== 412) throw error;
      existing++;
    }
  });
  return { written, existing, skipped };
}
