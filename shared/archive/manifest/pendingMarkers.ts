import type { ContainerClient } from '@azure/storage-blob';
import { statusCode } from '../../storage';
import { isRecordingKey, isSafeToken, LEGACY_PENDING_PREFIX, PENDING_PREFIX, pendingMarkerName } from '../../recording';

/**
 * Empty marker blobs `pending/{callId}/{recordingKey}` in the control container: the recordings with work left, so
 * the sweeper finds them without listing the whole archive. The manifest says what the work is.
 */
export class PendingMarkers {
  constructor(private readonly control: ContainerClient) {}

  async mark(callId: string, recordingKey: string): Promise<void> {
    await this.control.getBlockBlobClient(pendingMarkerName(callId, recordingKey)).upload('', 0);
  }

  async clear(callId: string, recordingKey: string): Promise<void> {
    await this.control.getBlockBlobClient(pendingMarkerName(callId, recordingKey)).deleteIfExists();
  }

  /** Every marked recording, with when it was marked. */
  async *list(): AsyncIterable<{ callId: string; recordingKey: string; since: Date | undefined }> {
    yield* markersUnder(this.control, PENDING_PREFIX);
  }
}

/**
 * Markers the version before this one kept in the archive container (`_pending/…`): each is moved to the control
 * container, so an upgrade forgets no recording and the archive container ends up holding output only.
 */
export async function* migrateLegacyMarkers(
  archive: ContainerClient,
  markers: PendingMarkers,
): AsyncIterable<{ callId: string; recordingKey: string }> {
  for await (const legacy of markersUnder(archive, LEGACY_PENDING_PREFIX)) {
    await markers.mark(legacy.callId, legacy.recordingKey);
    try {
      await archive.getBlockBlobClient(`${LEGACY_PENDING_PREFIX}${legacy.callId}/${legacy.recordingKey}`).delete();
    } catch (error) {
      // NOTE: an immutable archive container refuses the delete (409/403); the marker is migrated all the same.
      if (![403, 404, 409].includes(statusCode(error) ?? 0)) throw error;
    }
    yield legacy;
  }
}

async function* markersUnder(
  container: ContainerClient,
  prefix: string,
): AsyncIterable<{ callId: string; recordingKey: string; since: Date | undefined }> {
  if (!(await container.exists())) return;
  for await (const item of container.listBlobsFlat({ prefix })) {
    const [callId, recordingKey, ...rest] = item.name.slice(prefix.length).split('/');
    if (!callId || !recordingKey || rest.length > 0 || !isSafeToken(callId) || !isRecordingKey(recordingKey)) continue;
    yield { callId, recordingKey, since: item.properties.lastModified };
  }
}
