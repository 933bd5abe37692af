import { rebuildParticipantIndex } from '../../shared/participants';
import { Progress } from '../progress';
import { UsageError, type Command, type CommandContext } from './commandContext';

export const indexRebuildCommand: Command = { flags: [], run: indexRebuild };

/**
 * `index rebuild [--json]`: writes the participant index from every manifest in the archive (for archives made before
 * the index existed, or to repair it). Safe to run any time, and again. Exit 0 done; 1 some recording failed or had
 * nobody in it; 3 transient failure.
 */
async function indexRebuild(ctx: CommandContext, args: readonly string[]): Promise<number> {
  const { io } = ctx;
  if (args.length > 0) throw new UsageError('index rebuild takes no arguments');
  const stores = await ctx.stores();
  // NOTE: the bar counts recordings (Progress labels its numbers MiB; the label says what they are).
  const progress = new Progress(io, 'index');
  const report = await rebuildParticipantIndex(stores, ctx.log, {
    onProgress: (done, total) => progress.update(`recording ${done}/${total}`, done, total),
  });
  progress.done();
  if (ctx.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(
      `${report.recordings} recording(s) indexed: ${report.markersWritten} marker(s) written, ` +
        `${report.markersExisting} already there; ${report.fromMetadata} read from metadata files.`,
    );
    for (const r of report.withoutParticipants) io.out(`NO PARTICIPANTS ${r.callId}/${r.recordingKey}`);
    for (const p of report.problems.slice(0, 50)) io.out(`note: ${p}`);
    if (report.problems.length > 50) io.out(`note: … and ${report.problems.length - 50} more`);
    for (const f of report.failed) io.out(`FAILED ${f.callId}/${f.recordingKey}: ${f.error}`);
  }
  return report.failed.length > 0 || report.withoutParticipants.length > 0 ? 1 : 0;
}
