import { customerBlobClient, type ArchiveServices } from '../../shared/archive';
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

/**
 * `verify <callId> | --all [--json]`: re-reads archived blobs; checks size, Content-MD5 and SHA-256. A chunk verified
 * in place (bring your own storage) is re-read in the customer's container; one the CLI cannot read there is listed as
 * not checked, neither missing nor mismatched.
 */
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
    // Bring your own storage: chunks verified in place are read where ACS wrote them, with the app's credential.
    const customer = (url: string) => customerBlobClient(services.config, url);
    results.push(...(await verifyManifest(services.store.container, m, (n) => progress.add(n), customer)));
    progress.done();
  }
  const bad = results.filter((r) => !r.ok);
  const unchecked = results.filter((r) => r.unchecked);
  const checked = results.length - unchecked.length;
  if (options.json)
    io.out(
      JSON.stringify(
        { recordings, blobs: checked, mismatched: bad.length, unchecked: unchecked.length, results },
        null,
        2,
      ),
    );
  else {
    for (const r of bad) io.out(`MISMATCH ${r.url ?? r.blob}: ${r.problems.join('; ')}`);
    for (const r of unchecked) {
      io.out(`IN PLACE ${r.url ?? r.blob}: in the customer's container, not checked (${r.unchecked})`);
    }
    const external = results.filter((r) => r.location === 'external' && !r.unchecked).length;
    const where = external > 0 ? ` (${external} of them in the customer's container)` : '';
    const notChecked = unchecked.length > 0 ? `, ${unchecked.length} in the customer's container not checked` : '';
    io.out(`${recordings} recording(s), ${checked} blob(s) checked${where}, ${bad.length} mismatched${notChecked}.`);
  }
  if (recordings === 0 && options.callId) {
    io.err(`No archived recording found for call ${safeText(options.callId, 100)}.`);
    return 1;
  }
  return bad.length > 0 ? 1 : 0;
}
