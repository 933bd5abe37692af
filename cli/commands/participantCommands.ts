import { parseArgs } from 'node:util';
import { toError } from '../../shared/errors';
import { contextFor, type CommandDeps, type PromptingIo } from './commandContext';
import { hold } from './hold';
import { indexRebuild } from './indexRebuild';
import { participantErase } from './participantErase';
import { participantExport } from './participantExport';

/** The data-subject commands: `participant export|erase`, `hold set|clear`, `index rebuild`. */

export const PARTICIPANT_USAGE = `Participants' data (access and erasure requests, legal holds):

  participant export <participantId> --out DIR | --zip FILE [--dry-run] [--json]
      Every recording the participant appears in (manifest, metadata, media), streamed, each file's SHA-256 checked
      against the archive while copied, with a README.txt. Exit 1 on a mismatch.
      e.g. participant export '8:acs:8540c0de-…_c94ff260-…' --zip ./request-1234.zip
  participant erase <participantId> --reason "…" --operator NAME [--yes] [--all-participants] [--json]
      Deletes every recording the participant appears in and its index markers, audited under audit/ in the control
      container (written first, completed after). Asks for confirmation on a terminal; --yes for scripts. Recordings
      shared with others are kept ("shared, not erased") unless --all-participants; held, WORM-protected and
      still-archiving recordings are kept and the erasure stays open.
      e.g. participant erase '8:acs:…' --reason "GDPR art. 17 request #1234" --operator alice
  participant erase --resume AUDIT_ID --operator NAME [--yes] [--json]
      Finishes an interrupted or incomplete erasure (re-running erase for the participant does the same).
  hold set|clear <callId> [<recordingKey>] --tag CASE-123 [--operator NAME] [--reason "…"] [--json]
      Legal hold on every blob version of the recording(s), audited; needs version-level immutability on the archive
      container (exit 2 where there is none, e.g. Azurite). erase refuses held recordings.
      e.g. hold set 4f1c…-call-id --tag CASE-123 --reason "litigation hold"
  index rebuild [--json]
      Writes the participant index from every manifest (archives made before it existed). Safe to repeat.
      e.g. index rebuild`;

const COMMANDS = new Set(['participant', 'hold', 'index']);

export function isParticipantCommand(argv: readonly string[]): boolean {
  return argv[0] !== undefined && COMMANDS.has(argv[0]);
}

export async function runParticipantCommand(argv: string[], io: PromptingIo, deps: CommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        zip: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        reason: { type: 'string' },
        operator: { type: 'string' },
        yes: { type: 'boolean', default: false },
        'all-participants': { type: 'boolean', default: false },
        resume: { type: 'string' },
        tag: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`${toError(error).message}\n\n${PARTICIPANT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, verb, ...rest] = positionals;
  if (values.help) {
    io.out(PARTICIPANT_USAGE);
    return 0;
  }
  const usage = (message: string) => {
    io.err(`${message}\n\n${PARTICIPANT_USAGE}`);
    return 2;
  };
  const known =
    (command === 'participant' && (verb === 'export' || verb === 'erase')) ||
    (command === 'hold' && (verb === 'set' || verb === 'clear')) ||
    (command === 'index' && verb === 'rebuild');
  if (!known) return usage(`Unknown command '${[command, verb].filter(Boolean).join(' ')}'`);
  const ctx = contextFor(io, deps, values.json);
  if (typeof ctx === 'number') return ctx;
  if (command === 'index') {
    return rest.length > 0 ? usage('index rebuild takes no arguments') : indexRebuild(ctx);
  }
  if (command === 'hold') {
    if (rest.length > 2) return usage('hold takes a call id and at most one recording key');
    return hold(ctx, {
      action: verb,
      callId: rest[0],
      recordingKey: rest[1],
      tag: values.tag,
      operator: values.operator,
      reason: values.reason,
    });
  }
  if (rest.length > 1) return usage(`participant ${verb} takes one participant id (quote it)`);
  if (verb === 'export') {
    if (rest.length !== 1) return usage('participant export needs a participant id');
    return participantExport(ctx, {
      participantId: rest[0]!,
      out: values.out,
      zip: values.zip,
      dryRun: values['dry-run'],
    });
  }
  return participantErase(ctx, {
    participantId: rest[0],
    resume: values.resume,
    reason: values.reason,
    operator: values.operator,
    yes: values.yes,
    allParticipants: values['all-participants'],
  });
}
