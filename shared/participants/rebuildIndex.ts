import type { ContainerClient } from '@azure/storage-blob';
import { toError } from '../errors';
import type { Logger } from '../logger';
import { writeParticipantMarkers, type RecordingRef } from './participantIndex';
import { readManifest, recordingParticipantIds } from './recordingFolder';

export interface RebuildReport {
  recordings: number;
  /** Recordings whose manifest lists nobody, indexed from their metadata files instead. */
  fromMetadata: number;
  /** Recordings in which nobody could be found at all. */
  withoutParticipants: RecordingRef[];
  markersWritten: number;
  markersExisting: number;
  /** Metadata oddities (positions and keys, never ids). */
  problems: string[];
  failed: (RecordingRef & { error: string })[];
}

/**
 * Writes the participant index for every recording in the archive, from each manifest's participants (or, for a
 * manifest that lists none, from its metadata files). Idempotent: markers already there stay; nothing in the archive
 * is written. For archives made before the index existed, and to repair one.
 */
export async function rebuildParticipantIndex(
  stores: { archive: ContainerClient; control: ContainerClient },
  log: Logger,
  options: { onProgress?: (label: string, done: number, total: number) => void } = {},
): Promise<RebuildReport> {
  const manifests: (RecordingRef & { size: number })[] = [];
  for await (const item of stores.archive.listBlobsFlat()) {
    const parts = item.name.split('/');
    if (parts.length !== 3 || parts[2] !== 'manifest.json' || item.name.startsWith('_')) continue;
    manifests.push({ callId: parts[0]!, recordingKey: parts[1]!, size: item.properties.contentLength ?? 0 });
  }
  const total = manifests.reduce((n, m) => n + m.size, 0);
  const report: RebuildReport = {
    recordings: 0,
    fromMetadata: 0,
    withoutParticipants: [],
    markersWritten: 0,
    markersExisting: 0,
    problems: [],
    failed: [],
  };
  let done = 0;
  for (const [position, ref] of manifests.entries()) {
    const label = `recording ${position + 1}/${manifests.length}`;
    options.onProgress?.(label, done, total);
    try {
      const manifest = await readManifest(stores.archive, ref);
      if (!manifest) continue; // erased meanwhile
      report.recordings++;
      const found = await recordingParticipantIds(stores.archive, manifest);
      if (found.source === 'metadata') report.fromMetadata++;
      report.problems.push(...found.problems.map((p) => `${ref.callId}/${ref.recordingKey}: ${p}`));
      if (found.ids.length === 0)
        report.withoutParticipants.push({ callId: ref.callId, recordingKey: ref.recordingKey });
      const written = await writeParticipantMarkers(stores.control, ref, found.ids, log);
      report.markersWritten += written.written;
      report.markersExisting += written.existing;
    } catch (error) {
      const message = toError(error).message.split('\n')[0]!;
      report.failed.push({ callId: ref.callId, recordingKey: ref.recordingKey, error: message });
      log.warn(`Index rebuild: ${ref.callId}/${ref.recordingKey} failed: ${message}`);
    }
    done += ref.size;
    options.onProgress?.(label, done, total);
  }
  return report;
}
