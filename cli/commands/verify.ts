import type { ArchiveServices } from '../../shared/archive';
import { safeText } from '../../shared/text';
import type { CliIo } from '../io';
import { Progress } from '../progress';
import { verifyManifest } from '../verifyManifest';
import { archiveServices, manifests } from './archiveServices';
import { UsageError, type Command } from './commandContext';

export const verifyCommand: Command = {
  flags: ['all'],
  run: (ctx, args, flags) => {
    if (args.length !== (flags.all ? 0 : 1)) throw new UsageError('verify needs a call id or --all');
    return verify(archiveServices(ctx), ctx.io, { callId: args[0], json: ctx.json });
  },
};

/** `verify <callId> | --all [--json]`: re-reads archived blobs; checks size, Content-MD5 and SHA-256. */
async function verify(
  services: ArchiveServices,
  io: CliIo,
  options: { callId?: string; json: boolean },
): Promise<number> {
  const progress = new Progress(io, 'verify');
  const results = [];
  let recordings = 0;
  for await (const m of manifests(services, options.callId)) {
    recordings++;
    const total = m.chunks.reduce((n, c) => n + (c.status === 'archived' ? (c.size ?? 0) : 0), 0);
    progress.start(`${m.callId}/${m.recordingKey}`, total);
    results.push(...(await verifyManifest(services.store.container, m, (n) => progress.add(n))));
    progress.done();
  }
  const bad = results.filter((r) => !r.ok);
  if (options.json)
    io.out(JSON.stringify({ recordings, blobs: results.length, mismatched: bad.length, results }, null, 2));
  else {
    for (const r of bad) io.out(`MISMATCH ${r.blob}: ${r.problems.join('; ')}`);
    io.out(`${recordings} recording(s), ${results.length} blob(s) checked, ${bad.length} mismatched.`);
  }
  if (recordings === 0 && options.callId) {
    io.err(`No archived recording found for call ${safeText(options.callId, 100)}.`);
    return 1;
  }
  return bad.length > 0 ? 1 : 0;
}
