import { createArchiveServices, type ArchiveServices, type Manifest } from '../../shared/archive';
import { Progress } from '../progress';
import type { CommandContext } from './commandContext';

/** The archiver's services, with a progress bar for copies on a terminal. */
export function archiveServices(ctx: CommandContext): ArchiveServices {
  const progress = new Progress(ctx.io, 'copy');
  return createArchiveServices(ctx.config, {
    onProgress: (p) => progress.update(`${p.callId} chunk ${p.index}`, p.staged, p.total),
  });
}

/** Every manifest in the archive (of one call, given its id), as the commands that walk the archive read them. */
export async function* manifests(services: ArchiveServices, callId?: string): AsyncIterable<Manifest> {
  for await (const ref of services.store.manifestRefs(callId)) {
    const found = await services.store.readManifest(ref.callId, ref.recordingKey);
    if (found) yield found.manifest;
  }
}
