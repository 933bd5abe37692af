import {
  auditRecordPrefix,
  openErasures,
  planErasure,
  replanErasure,
  startErasure,
  type ErasureStores,
  runErasure,
  erasureExitCode,
  type ErasureDecision,
  type ErasureRecord,
  type ErasureRecording,
} from '../../shared/participants';
import { parseParticipantId, participantHash, participantMarkerHashes } from '../../shared/recording';
import { BadInputError } from '../../shared/errors';
import { safeText } from '../../shared/text';
import { confirm, UsageError, type Command, type CommandContext, type Flags } from './commandContext';

export const participantEraseCommand: Command = {
  flags: ['reason', 'operator', 'yes', 'all-participants', 'resume'],
  run: participantErase,
};

/**
 * `participant erase <participantId> --reason "…" --operator NAME [--yes] [--all-participants] [--json]`
 * `participant erase --resume AUDIT_ID --operator NAME [--yes] [--json]`
 * Prints the plan, asks for confirmation (or takes --yes), writes the audit intent, erases, completes the record.
 * Re-running for a participant with an open erasure resumes that one, with its own reason and options. The id is
 * compared in its canonical form (GUIDs in lower case, phone numbers as E.164). Exit 0 nothing of the participant is
 * left; 1 something is (shared, held, protected, still archiving, or a delete failed: the record says which), no
 * recording was found for the id at all (recorded as `nothing-found`, never `completed`), or the confirmation was
 * declined (nothing erased); 2 bad input, or no terminal to confirm on and no --yes; 3 transient failure (the record
 * stays open: resume it).
 */
async function participantErase(ctx: CommandContext, args: readonly string[], flags: Flags): Promise<number> {
  const { io } = ctx;
  if (args.length > 1) throw new UsageError('participant erase takes one participant id (quote it)');
  const [id] = args;
  if (flags.resume !== undefined) {
    if (id !== undefined)
      throw new UsageError('participant erase takes a participant id or --resume AUDIT_ID, not both');
    if (flags.reason !== undefined || flags['all-participants'] !== undefined) {
      throw new UsageError(
        'participant erase --resume goes on with the reason and options of its record: --reason and ' +
          '--all-participants do not apply',
      );
    }
  } else if (id === undefined) {
    throw new UsageError('participant erase needs a participant id (or --resume AUDIT_ID)');
  }
  const operator = requiredText(flags.operator, '--operator NAME', 'operator', 200);
  const allParticipants = flags['all-participants'] === true;
  const yes = flags.yes === true;
  // NOTE: an id pasted from a ticket often carries spaces around it; they are never part of a raw id.
  const participantId = id === undefined ? undefined : parseParticipantId(id.trim(), 'participantId');
  const request =
    participantId === undefined
      ? null
      : {
          hash: participantHash(participantId),
          markerHashes: participantMarkerHashes(participantId),
          reason: requiredText(flags.reason, '--reason "…"', 'reason', 1000),
        };
  const stores = await ctx.auditedStores();
  if (!stores.auditImmutable && ctx.config.storage.kind === 'identity') {
    ctx.log.warn(
      `the audit container ${stores.audit.containerName} has no version-level immutability: its records can be ` +
        'rewritten or deleted (deploy it with infra/app/archive-storage.bicep)',
    );
  }
  const operatorObjectId = await ctx.operatorObjectId();
  let resumeId = flags.resume;
  if (request) {
    const { hash, markerHashes, reason } = request;
    const open = await openErasures(stores, markerHashes);
    if (open.length === 0) {
      const plan = await planErasure(stores, hash, { allParticipants, markerHashes });
      return await proceed(ctx, stores, { hash, plan, operator, operatorObjectId, yes }, async () => {
        const writer = await startErasure(stores, {
          hash,
          markerHashes,
          operator,
          operatorObjectId,
          reason,
          allParticipants,
          plan,
        });
        return { writer, plan };
      });
    }
    resumeId = open[0]!;
    io.err(`An erasure of this participant is still open (${resumeId}); resuming it with its own reason and options.`);
  }
  const { writer, plan } = await replanErasure(stores, resumeId!);
  if (writer.record.status === 'completed' && plan.every((r) => r.outcome === 'erased')) {
    (ctx.json ? io.err : io.out)(`Erasure ${resumeId} is already complete; nothing to resume.`);
    return report(ctx, writer.record);
  }
  return await proceed(
    ctx,
    stores,
    { hash: writer.record.participantSha256, plan, operator, operatorObjectId, yes },
    () => Promise.resolve({ writer, plan }),
  );
}

async function proceed(
  ctx: CommandContext,
  stores: ErasureStores,
  input: { hash: string; plan: ErasureRecording[]; operator: string; operatorObjectId: string | null; yes: boolean },
  open: () => Promise<{ writer: Awaited<ReturnType<typeof startErasure>>; plan: ErasureRecording[] }>,
): Promise<number> {
  const { io } = ctx;
  const toErase = input.plan.filter((r) => r.outcome === 'planned' && r.decision === 'erase');
  const say = ctx.json ? io.err : io.out;
  say(`Participant SHA-256 ${input.hash}: ${input.plan.length} recording(s) in the index.`);
  for (const r of input.plan) say(`  ${label(r.decision, r.outcome)} ${r.callId}/${r.recordingKey}  ${describe(r)}`);
  if (toErase.length > 0 && !input.yes) {
    const blobs = toErase.reduce((n, r) => n + r.blobs.reduce((m, b) => m + b.versions, 0), 0);
    const answer = await confirm(
      io,
      `This deletes ${toErase.length} recording(s), ${blobs} blob version(s), for good.`,
      'erase',
    );
    if (answer === null) {
      io.err(
        'participant erase needs confirmation: run it on a terminal, or pass --yes (scripts). Nothing was erased.',
      );
      return 2;
    }
    if (!answer) {
      io.err('Not confirmed. Nothing was erased.');
      return 1;
    }
  }
  const { writer, plan } = await open();
  say(`Audit record ${writer.record.id} (${auditRecordPrefix(writer.record.id)}) written; erasing.`);
  const record = await runErasure(stores, writer, plan, {
    operator: input.operator,
    operatorObjectId: input.operatorObjectId,
    onRecording: (r) => say(`  ${label(r.decision, r.outcome)} ${r.callId}/${r.recordingKey}  ${r.outcome}`),
  });
  return report(ctx, record);
}

function report(ctx: CommandContext, record: ErasureRecord): number {
  const { io } = ctx;
  const code = erasureExitCode(record.recordings);
  if (record.status === 'nothing-found') {
    io.err(
      'participant erase: no recording found for this exact id, so nothing was erased. The id is compared in its ' +
        'canonical form (GUIDs in lower case, phone numbers as E.164 with +); check it against your records, and if ' +
        'the archive predates this version run `index rebuild` first. Audit record ' +
        `${record.id} says so (nothing-found).`,
    );
  }
  const where = { auditContainer: ctx.config.auditContainer, auditPrefix: auditRecordPrefix(record.id) };
  if (ctx.json) {
    io.out(JSON.stringify({ ...where, ...record }, null, 2));
    return code;
  }
  const left = record.recordings.filter((r) => r.outcome !== 'erased');
  io.out(
    `Erasure ${record.id}: ${record.status}. ${record.recordings.length - left.length} recording(s) erased, ` +
      `${left.length} left. Audit record: ${where.auditPrefix} in the audit container ${where.auditContainer}.`,
  );
  for (const r of left) io.out(`  NOT ERASED ${r.callId}/${r.recordingKey}: ${describe(r)}`);
  if (record.status === 'incomplete') {
    io.out(
      `Resume when the cause is gone: call-recording-archiver participant erase --resume ${record.id} --operator NAME`,
    );
  }
  return code;
}

function label(decision: ErasureDecision, outcome: ErasureRecording['outcome']): string {
  if (outcome === 'erased') return 'ERASED  ';
  if (outcome === 'incomplete') return 'PARTIAL ';
  const labels: Record<ErasureDecision, string> = {
    erase: 'ERASE   ',
    'already-gone': 'GONE    ',
    'shared-not-erased': 'SHARED  ',
    'held-not-erased': 'HELD    ',
    'protected-not-erased': 'WORM    ',
    'pending-deferred': 'PENDING ',
  };
  return labels[decision];
}

function describe(r: ErasureRecording): string {
  const blobs = r.blobs.length;
  const problems = r.blobs.filter((b) => b.outcome !== 'deleted' && b.outcome !== 'absent' && b.outcome !== 'planned');
  const detail = problems.length
    ? `; ${problems.map((b) => `${b.name.slice(b.name.lastIndexOf('/') + 1)} ${b.outcome}`).join(', ')}`
    : '';
  return `${r.manifestStatus ?? 'no manifest'}, ${blobs} blob(s): ${r.detail}${detail}`;
}

/** Who and why go into the audit record: required, bounded, control characters replaced. */
function requiredText(value: string | undefined, flag: string, field: string, max: number): string {
  if (value === undefined || value.trim() === '') throw new BadInputError(`participant erase needs ${flag}`, field);
  if (value.length > max) throw new BadInputError(`--${field} is longer than ${max} characters`, field);
  return safeText(value.trim(), max);
}
