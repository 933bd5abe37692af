/** The data-subject commands: `participant export|erase`, `hold set|clear`, `index rebuild`. */
const PARTICIPANT_USAGE = `Participants' data (access and erasure requests, legal holds):

  participant export <participantId> --out DIR | --zip FILE [--dry-run] [--json]
      Every recording the participant appears in (manifest, metadata, media), streamed, each file's SHA-256 checked
      against the archive while copied, with a README.txt. Exit 1 on a mismatch or a file missing from the archive.
      e.g. participant export '8:acs:8540c0de-…_c94ff260-…' --zip ./request-1234.zip
  participant erase <participantId> --reason "…" --operator NAME [--yes] [--all-participants] [--json]
      Deletes every recording the participant appears in and its index markers, audited in AUDIT_CONTAINER (written
      first, each state a new blob). The id is compared in canonical form (GUIDs lower case, phone numbers E.164);
      no recording found exits 1 (nothing-found). Asks for confirmation on a terminal; --yes for scripts. Recordings
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

/** Printed by --help, and after the message of bad usage. Every command of main.ts's table is listed here. */
export const USAGE = `Usage: call-recording-archiver <command> [options]

Commands:
  status [--all] [--json]              recordings that are pending, failed or close to their deadline; queued and
                                       poison chunk copies
  verify <callId> | --all [--json]     re-read archived blobs; check size, Content-MD5 and SHA-256
  archive <event.json> [--wait] [--timeout S] [--json]
                                       archive from a saved event (one event or an array; either schema): the
                                       intent is recorded and the copies queued, as for an Event Grid delivery;
                                       --wait until the function app has copied them (default 600 s)
  redrive [--container NAME] [--prefix P] [--wait] [--timeout S] [--json]
                                       the same for the RecordingFileStatusUpdated events Event Grid dead-lettered
                                       (container default: DEAD_LETTER_CONTAINER or eventgrid-deadletter)
  retry <callId> [<recordingKey>] [--json]
                                       failed or poison chunks still before their deadline: pending again, queued
  doctor [--app-url URL] [--json]      checks the deployed wiring end to end (the app, both Event Grid
                                       subscriptions and their keys, the state callback URL, dead letters, storage,
                                       WORM, ACS access, alerts), each with a fix; exit 1 when one fails. With the azd
                                       environment's values it checks Azure; otherwise the local stack (npm start)
                                       e.g. eval "$(azd env get-values)"; npx call-recording-archiver doctor

${PARTICIPANT_USAGE}

Settings are the app's (ACS_CONNECTION_STRING or ACS_ENDPOINT, ARCHIVE_STORAGE_CONNECTION_STRING or
ARCHIVE_STORAGE_URL, ARCHIVE_CONTAINER, CONTROL_CONTAINER, AzureWebJobsStorage, ARCHIVE_QUEUE, ...), from the
environment or ./local.settings.json.
Options go anywhere; one a command does not take is refused.
Exit codes: 0 ok, 1 needs attention, 2 usage or settings, 3 transient failure (try again).`;
