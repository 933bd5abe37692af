import { exportParticipant, type ExportReport, directorySink, zipSink } from '../../shared/participants';
import { parseParticipantId } from '../../shared/recording';
import { Progress } from '../progress';
import { UsageError, type Command, type CommandContext, type Flags } from './commandContext';

export const participantExportCommand: Command = { flags: ['out', 'zip', 'dry-run'], run: participantExport };

/**
 * `participant export <participantId> --out DIR | --zip FILE [--dry-run] [--json]`: every recording folder the
 * participant appears in, streamed, each file hashed while copied and checked against the archive.
 * Exit 0 all copied and matching; 1 a hash or size mismatch, or a file the manifest says is archived is missing;
 * 2 bad input; 3 transient failure.
 */
async function participantExport(ctx: CommandContext, args: readonly string[], flags: Flags): Promise<number> {
  const { io } = ctx;
  if (args.length !== 1) throw new UsageError('participant export needs one participant id (quote it)');
  // NOTE: an id pasted from a ticket often carries spaces around it; they are never part of a raw id.
  const participantId = parseParticipantId(args[0]!.trim(), 'participantId');
  const dryRun = flags['dry-run'] === true;
  if (!dryRun && (flags.out === undefined) === (flags.zip === undefined)) {
    throw new UsageError('participant export needs exactly one of --out DIR or --zip FILE (or --dry-run to list only)');
  }
  const stores = await ctx.stores();
  const sink = dryRun ? null : flags.out !== undefined ? await directorySink(flags.out) : await zipSink(flags.zip!);
  const progress = new Progress(io, 'export');
  const report = await exportParticipant(stores, participantId, sink, {
    onFileStart: (path, size) => progress.start(path, size),
    onBytes: (n) => progress.add(n),
    onFile: () => progress.done(),
  });
  progress.done();
  print(ctx, report);
  return report.mismatches > 0 || report.missing > 0 ? 1 : 0;
}

function print(ctx: CommandContext, report: ExportReport): void {
  const { io } = ctx;
  if (ctx.json) {
    io.out(JSON.stringify(report, null, 2));
    return;
  }
  if (report.recordings.length === 0) {
    io.out('No recording of this participant was found.');
  }
  for (const recording of report.recordings) {
    io.out(
      `${(recording.status ?? 'no manifest').toUpperCase().padEnd(9)} ${recording.callId}/${recording.recordingKey}`,
    );
    for (const file of recording.files) {
      const check =
        file.check === 'mismatch'
          ? `MISMATCH ${file.problem ?? ''}`
          : file.check === 'ok'
            ? 'sha256 ok'
            : file.check === 'no-reference'
              ? 'no reference hash'
              : '';
      io.out(`          ${file.path}  ${file.size} bytes  ${check}`.trimEnd());
    }
    for (const path of recording.missing) io.out(`          ${path}  MISSING (the manifest says it is archived)`);
  }
  const where = report.dryRun ? ' (dry run: nothing written)' : ` into ${report.destination}`;
  const missing = report.missing > 0 ? `, ${report.missing} MISSING file(s)` : '';
  io.out(
    `${report.recordings.length} recording(s), ${report.files} file(s), ${report.bytes} bytes${where}; ` +
      `${report.mismatches} mismatch(es)${missing}.`,
  );
}
