import type { RecordingFiles } from '../../dev/emulator';
import type { Manifest } from '../../shared/archive/manifest/manifest';
import type { Logger } from '../../shared/logger';
import { readManifest, type ArchiveHarness } from './archiveHarness';
import { CapturedLog } from './logs';

/** Archives an emulator recording the way the function app does (ingest, then every queued chunk copy, which also
 * writes the participant index). Returns the manifest. */
export async function archiveAndIndex(
  h: ArchiveHarness,
  files: RecordingFiles,
  log: Logger = new CapturedLog(),
): Promise<Manifest> {
  const outcome = await h.archive(h.emulator.recordingFileStatusEvent(files), log);
  if (outcome.outcome !== 'accepted') throw new Error(`the emulator's event was rejected: ${outcome.reason}`);
  return readManifest(h.container, outcome.manifest.callId, outcome.manifest.recordingKey);
}
