import type { ContainerClient } from '@azure/storage-blob';
import { ArchiveStore, indexParticipants } from '../archive';
import { toError } from '../errors';
import type { Logger } from '../logger';
import { legacyParticipantHash, participantHash, type RecordingRef } from '../recording';
import { deleteMarkersFor } from './participantIndex';
import { readManifest, recordingParticipantIds } from './recordingFolder';

export interface RebuildReport {
  recordings: number;
  /** Recordings whose manifest lists nobody (archived before it kept them): indexed from their metadata files alone. */
  fromMetadata: number;
  /** Recordings in which nobody could be found at all. */
  withoutParticipants: RecordingRef[];
  markersWritten: number;
  markersExisting: number;
  /** Markers an earlier version wrote under the hash of an id exactly as written, removed once the canonical one is. */
  legacyMarkersRemoved: number;
  /** Metadata oddities (positions and keys, never ids). */
  problems: string[];
  failed: (RecordingRef & { error: string })[];
}

/**
 * Writes the participant index for every recording in the archive, from each manifest's participants and the ids in
 * its metadata files (as the copier indexes each chunk), under the hashes of the canonical ids. Then it removes the
 * markers an earlier version wrote under the hash of an id exactly as written (`8:acs:72F733C1-…`), where that differs:
 * the canonical marker is written first, so the recording is findable at every moment. Idempotent: markers already
 * there stay; nothing in the archive is written. For archives made before the index existed or before ids were
 * canonical, and to repair one. Markers of recordings no longer in the archive are not looked at (an erasure removes
 * its own; one left over names a recording with no manifest, which every reader skips).
 */
export async function rebuildParticipantIndex(
  stores: { archive: ContainerClient; control: ContainerClient },
  log: Logger,
  options: { onProgress?: (done: number, total: number) => void } = {},
): Promise<RebuildReport> {
  const refs: RecordingRef[] = [];
  for await (const ref of new ArchiveStore(stores.archive).manifestRefs()) refs.push(ref);
  const report: RebuildReport = {
    recordings: 0,
    fromMetadata: 0,
    withoutParticipants: [],
    markersWritten: 0,
    markersExisting: 0,
    legacyMarkersRemoved: 0,
    problems: [],
    failed: [],
  };
  for (const [done, ref] of refs.entries()) {
    options.onProgress?.(done, refs.length);
    try {
      const manifest = await readManifest(stores.archive, ref);
      if (!manifest) continue; // erased meanwhile
      report.recordings++;
      const found = await recordingParticipantIds(stores.archive, manifest);
      if ((manifest.participants ?? []).length === 0) report.fromMetadata++;
      report.problems.push(...found.problems.map((p) => `${ref.callId}/${ref.recordingKey}: ${p}`));
      if (found.ids.length === 0) report.withoutParticipants.push(ref);
      const written = await indexParticipants(stores.control, ref, found.ids, log);
      report.markersWritten += written.written;
      report.markersExisting += written.existing;
      const legacy = found.ids.map(legacyParticipantHash).filter((h, i) => h !== participantHash(found.ids[i]!));
      if (legacy.length > 0) report.legacyMarkersRemoved += await deleteMarkersFor(stores.control, ref, legacy);
    } catch (error) {
      const message = toError(error).message.split('\n')[0]!;
      report.failed.push({ ...ref, error: message });
      log.warn(`Index rebuild: ${ref.callId}/${ref.recordingKey} failed: ${message}`);
    }
  }
  options.onProgress?.(refs.length, refs.length);
  return report;
}
