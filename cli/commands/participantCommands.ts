import type { Command } from './commandContext';
import { hold } from './hold';
import { indexRebuild } from './indexRebuild';
import { participantErase } from './participantErase';
import { participantExport } from './participantExport';

/** The data-subject commands: `participant export|erase`, `hold set|clear`, `index rebuild`. */

export const PARTICIPANT_USAGE = `Participants' data (access and erasure requests, legal holds):

  participant export <participantId> --out DIR | --zip FILE [--dry-run] [--json]
      Every recording the participant appears in (manifest, metadata, media), streamed, each file's SHA-256 checked
      against the archive while copied, with a README.txt. Exit 1 on a mismatch or a file missing from the archive.
      e.g. participant export '8:acs:8540c0de-…_c94ff260-…' --zip ./request-1234.zip
  participant erase <participantId> --reason "…" --operator NAME [--yes] [--all-participants] [--json]
      Deletes every recording the participant appears in and its index markers, audited under audit/ in the control
      container (written first, completed after). Asks for confirmation on a terminal; --yes for scripts. Recordings
      shared with others, or whose participant list cannot be read in full, are kept ("shared, not erased") unless
      --all-participants; held, WORM-protected and still-archiving recordings are kept and the erasure stays open.
      e.g. participant erase '8:acs:…' --reason "GDPR art. 17 request #1234" --operator alice
  participant erase --resume AUDIT_ID --operator NAME [--yes] [--json]
      Finishes an interrupted or incomplete erasure with its own reason and options (re-running erase for the
      participant does the same).
  hold set|clear <callId> [<recordingKey>] --tag CASE-123 [--operator NAME] [--reason "…"] [--json]
      Legal hold on every blob version of the recording(s), audited; needs version-level immutability on the archive
      container (exit 2 where there is none, e.g. Azurite). erase refuses held recordings.
      e.g. hold set 4f1c…-call-id --tag CASE-123 --reason "litigation hold"
  index rebuild [--json]
      Writes the participant index from every manifest (archives made before it existed). Safe to repeat.
      e.g. index rebuild`;

/** By name (two words); main.ts dispatches to them like to every other command. */
export const PARTICIPANT_COMMANDS: Record<string, Command> = {
  'participant export': { flags: ['out', 'zip', 'dry-run'], run: participantExport },
  'participant erase': { flags: ['reason', 'operator', 'yes', 'all-participants', 'resume'], run: participantErase },
  'hold set': { flags: ['tag', 'operator', 'reason'], run: (ctx, args, flags) => hold(ctx, 'set', args, flags) },
  'hold clear': { flags: ['tag', 'operator', 'reason'], run: (ctx, args, flags) => hold(ctx, 'clear', args, flags) },
  'index rebuild': { flags: [], run: indexRebuild },
};
