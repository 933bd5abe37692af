import { AccessDeniedError, DeleteRefusedError, redactUrl } from '../acs';
import { toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import type { ArchiveServices } from './archiveServices';
import type { Manifest, ManifestChunk } from './manifest/manifest';

/**
 * DELETE_SOURCE_AFTER_ARCHIVE: the chunk's deleteLocation, only after the verified commit. A refusal or failure is
 * recorded on the chunk (`sourceDeleteError`) and logged as a warning naming the call, never fatal: the archive is
 * safe either way, and the store removes the files itself after its retention time. A deleteLocation that names
 * another document (Microsoft's own Learn sample does) is refused without a request: a wrong delete could destroy a
 * recording not archived yet.
 */
export async function deleteSource(
  services: ArchiveServices,
  manifest: Manifest,
  chunk: ManifestChunk,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const tag = `Call ${manifest.callId}, recording ${manifest.recordingKey}, chunk ${chunk.index}`;
  let outcome: { sourceDeletedAt: string } | { sourceDeleteError: string };
  try {
    await services.source.delete(chunk.deleteLocation!, chunk.documentId, signal);
    outcome = { sourceDeletedAt: services.now().toISOString() };
    log.info(`${tag}: deleted from the recording store (${redactUrl(chunk.deleteLocation!)})`);
  } catch (error) {
    const message = toError(error).message;
    outcome = { sourceDeleteError: message };
    if (error instanceof AccessDeniedError) {
      logEvent(log, 'error', 'AcsAccessDenied', {
        operation: 'delete',
        status: error.status,
        failureCode: error.code,
        target: redactUrl(chunk.deleteLocation!),
      });
    }
    const skipped = error instanceof DeleteRefusedError ? 'the source delete was skipped' : 'the source delete failed';
    log.warn(
      `${tag}: archived and verified, but ${skipped} (${message}); the store removes it after its retention time`,
    );
  }
  await services.store
    .updateManifest(manifest.callId, manifest.recordingKey, (current) => {
      const next = current && structuredClone(current);
      const entry = next?.chunks.find((c) => c.index === chunk.index);
      if (!next || !entry) return null;
      Object.assign(entry, outcome);
      return next;
    })
    .catch((error: unknown) => log.warn(`${tag}: could not record the source deletion: ${toError(error).message}`));
}
