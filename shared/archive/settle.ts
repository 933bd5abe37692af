import { toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { deleteRecordingLeases } from './chunkLease';
import { unarchivedSummary, type Manifest } from './manifest/manifest';
import type { ArchiveServices } from './archiveServices';

/**
 * What every writer of a manifest does after its write: report a recording that just became complete or failed, and
 * keep the pending marker true. A marker is cleared only for a final manifest, and re-checked afterwards under the
 * manifest's ETag: an event that added a chunk between our read and the delete wrote its own marker before its
 * manifest write (ingest marks before and after), so either our delete came first and its marker stands, or our
 * re-read sees its pending manifest and marks again. Then the recording's copy lease blobs are deleted.
 */
export async function settleRecording(
  services: ArchiveServices,
  written: { manifest: Manifest; etag: string | null },
  previousStatus: Manifest['status'] | null,
  log: Logger,
): Promise<void> {
  const { manifest } = written;
  if (manifest.status === 'pending') return;
  if (previousStatus !== manifest.status) reportFinal(manifest, services.now(), log);
  await services.markers.clear(manifest.callId, manifest.recordingKey);
  const after = await services.store.readManifest(manifest.callId, manifest.recordingKey);
  if (after && after.etag !== written.etag && after.manifest.status === 'pending') {
    await services.markers.mark(manifest.callId, manifest.recordingKey);
    return;
  }
  // Nothing is left to copy: the chunks' lease blobs have done their work (best effort; they are empty).
  await deleteRecordingLeases(services.control, manifest).catch((error: unknown) =>
    log.warn(
      `Could not delete the copy leases of ${manifest.callId}/${manifest.recordingKey}: ${toError(error).message}`,
    ),
  );
}

function reportFinal(manifest: Manifest, now: Date, log: Logger): void {
  const { callId, recordingKey } = manifest;
  if (manifest.status === 'complete') {
    logEvent(log, 'info', 'RecordingComplete', {
      callId,
      recordingKey,
      chunks: manifest.chunks.length,
      bytes: manifest.chunks.reduce((n, c) => n + (c.size ?? 0), 0),
      archiveSeconds: Math.max(0, (now.getTime() - Date.parse(manifest.createdAt)) / 1000),
    });
    return;
  }
  const failed = manifest.chunks.filter((c) => c.status === 'expired' || c.status === 'failed');
  logEvent(log, 'error', 'RecordingFailed', {
    callId,
    recordingKey,
    failureCode: failed[0]?.failureCode ?? (failed[0]?.status === 'expired' ? 'SourceExpired' : 'Incomplete'),
    deadline: manifest.deadline,
    detail: failed.length
      ? failed.map((c) => `chunk ${c.index} ${c.status}: ${c.lastError ?? ''}`).join('; ')
      : `chunks not archived: ${unarchivedSummary(manifest)}`,
  });
}
