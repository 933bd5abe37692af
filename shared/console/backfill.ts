import type { ContainerClient } from '@azure/storage-blob';
import { ArchiveStore, indexRecordingForListing } from '../archive';
import { inParallel } from '../concurrency';

/**
 * Puts every recording of the archive on the console's recording list: for recordings archived before the list
 * existed (ingest adds each new one). Lists the whole archive once, so it is an operator's step, never a page view;
 * running it again changes nothing.
 */
export async function backfillRecordingList(
  stores: { archive: ContainerClient; control: ContainerClient },
  onProgress: (listed: number) => void = () => undefined,
): Promise<number> {
  const store = new ArchiveStore(stores.archive);
  const refs = [];
  for await (const ref of store.manifestRefs()) refs.push(ref);
  let listed = 0;
  await inParallel(refs, 16, async (ref) => {
    const stored = await store.readManifest(ref.callId, ref.recordingKey);
    if (!stored) return;
    await indexRecordingForListing(stores.control, stored.manifest);
    onProgress(++listed);
  });
  return listed;
}
