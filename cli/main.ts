#!/usr/bin/env node
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createArchiveServices } from '../shared/archive/services';
import { loadConfig, type Config } from '../shared/config';
import { AppError, ConfigError, isRetryable, toError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { safeText } from '../shared/text';
import { archiveFile, redrive, retry, status, verify } from './archiveCommands';
import { isParticipantCommand, PARTICIPANT_USAGE, runParticipantCommand } from './commands/participantCommands';
import { Progress } from './progress';

/**
 * Operator tool with the app's own settings (environment, then local.settings.json `Values`).
 * Exit codes: 0 all good; 1 something needs attention (failed, mismatched, rejected, near its deadline);
 * 2 bad usage or settings; 3 a transient failure (try again later).
 */

const USAGE = `Usage: call-recording-archiver <command> [options]

Commands:
  status [--all] [--json]              recordings that are pending, failed or close to their deadline; queued and
                                       poison chunk copies
  verify <callId> | --all [--json]     re-read archived blobs; check size, Content-MD5 and SHA-256
  archive <event.json> [--wait] [--timeout S] [--json]
                                       archive from a saved event (one event or an array; either schema): the
                                       intent is recorded and the copies queued, as for an Event Grid delivery;
                                       --wait until the function app has copied them (default 600 s)
  redrive [--container NAME] [--prefix P] [--wait] [--json]
                                       the same for the RecordingFileStatusUpdated events Event Grid dead-lettered
                                       (container default: DEAD_LETTER_CONTAINER or eventgrid-deadletter)
  retry <callId> [<recordingKey>] [--json]
                                       failed or poison chunks still before their deadline: pending again, queued

${PARTICIPANT_USAGE}

Settings are the app's (ACS_CONNECTION_STRING or ACS_ENDPOINT, ARCHIVE_STORAGE_CONNECTION_STRING or
ARCHIVE_STORAGE_URL, ARCHIVE_CONTAINER, CONTROL_CONTAINER, AzureWebJobsStorage, ARCHIVE_QUEUE, ...), from the
environment or ./local.settings.json.
Exit codes: 0 ok, 1 needs attention, 2 usage or settings, 3 transient failure (try again).`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (isParticipantCommand(argv)) {
    return runParticipantCommand(argv, io, { settings: () => settingsFrom(io), logger: (json) => cliLogger(io, json) });
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        container: { type: 'string' },
        prefix: { type: 'string', default: '' },
        wait: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`${toError(error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  let config: Config;
  try {
    config = loadConfig(settingsFrom(io));
  } catch (error) {
    io.err(error instanceof ConfigError ? `Invalid setting ${error.message}` : toError(error).message);
    return 2;
  }
  const json = values.json;
  const log = cliLogger(io, json);
  const progress = new Progress(io, 'copy');
  const services = createArchiveServices(config, {
    onProgress: (p) => progress.update(`${p.callId} chunk ${p.index}`, p.staged, p.total),
  });
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
    io.err(`--timeout must be a number of seconds\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (command) {
      case 'status':
        return await status(services, io, { all: values.all, json });
      case 'verify':
        if (!values.all && rest.length !== 1) {
          io.err(`verify needs a call id or --all\n\n${USAGE}`);
          return 2;
        }
        return await verify(services, io, { callId: values.all ? undefined : rest[0], json });
      case 'archive':
        if (rest.length !== 1) {
          io.err(`archive needs the path of a saved event\n\n${USAGE}`);
          return 2;
        }
        return await archiveFile(services, io, log, rest[0]!, { json, wait: values.wait, timeoutSeconds });
      case 'redrive':
        return await redrive(services, io, log, {
          container: values.container ?? io.env.DEAD_LETTER_CONTAINER ?? 'eventgrid-deadletter',
          prefix: values.prefix ?? '',
          json,
          wait: values.wait,
          timeoutSeconds,
        });
      case 'retry':
        if (rest.length < 1 || rest.length > 2) {
          io.err(`retry needs a call id and optionally a recording key\n\n${USAGE}`);
          return 2;
        }
        return await retry(services, io, { callId: rest[0]!, recordingKey: rest[1], json });
      default:
        io.err(`Unknown command '${safeText(command, 60)}'\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    const e = toError(error);
    io.err(`${command} failed: ${safeText(e.message, 500)}`);
    return e instanceof AppError && !isRetryable(e) ? 1 : 3;
  }
}

function settingsFrom(io: CliIo): Record<string, string | undefined> {
  const file = path.join(io.cwd, 'local.settings.json');
  let values: Record<string, string> = {};
  if (existsSync(file)) {
    values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  }
  return { ...values, ...io.env };
}

function cliLogger(io: CliIo, json: boolean): Logger {
  // With --json, stdout carries only the result; logs go to stderr.
  const write =
    (prefix: string) =>
    (...args: unknown[]) =>
      io.err(prefix + args.map(String).join(' '));
  return {
    debug: () => undefined,
    info: json ? () => undefined : write(''),
    warn: write('warning: '),
    error: write('error: '),
  };
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${toError(error).message}\n`);
      process.exit(3);
    },
  );
}
