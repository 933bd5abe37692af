#!/usr/bin/env node
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createArchiveServices, type ArchiveServices } from '../shared/archive/services';
import { loadConfig, type Config } from '../shared/config';
import { AppError, BadInputError, ConfigError, isRetryable, toError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { participantStores } from '../shared/participants/participantStores';
import { safeText } from '../shared/text';
import { archiveFile, redrive, retry, status, verify } from './archiveCommands';
import { UsageError, type Command, type CommandContext, type Flags, type PromptingIo } from './commands/commandContext';
import { PARTICIPANT_COMMANDS, PARTICIPANT_USAGE } from './commands/participantCommands';
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
  redrive [--container NAME] [--prefix P] [--wait] [--timeout S] [--json]
                                       the same for the RecordingFileStatusUpdated events Event Grid dead-lettered
                                       (container default: DEAD_LETTER_CONTAINER or eventgrid-deadletter)
  retry <callId> [<recordingKey>] [--json]
                                       failed or poison chunks still before their deadline: pending again, queued

${PARTICIPANT_USAGE}

Settings are the app's (ACS_CONNECTION_STRING or ACS_ENDPOINT, ARCHIVE_STORAGE_CONNECTION_STRING or
ARCHIVE_STORAGE_URL, ARCHIVE_CONTAINER, CONTROL_CONTAINER, AzureWebJobsStorage, ARCHIVE_QUEUE, ...), from the
environment or ./local.settings.json.
Options go anywhere; one a command does not take is refused.
Exit codes: 0 ok, 1 needs attention, 2 usage or settings, 3 transient failure (try again).`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Every command: one word, or two for the participants' data commands (`participant export`, `hold set`, …). */
const COMMANDS: Record<string, Command> = {
  status: {
    flags: ['all'],
    run: (ctx, args, flags) => {
      if (args.length > 0) throw new UsageError('status takes no arguments');
      return status(archiveServices(ctx), ctx.io, { all: flags.all === true, json: ctx.json });
    },
  },
  verify: {
    flags: ['all'],
    run: (ctx, args, flags) => {
      if (args.length !== (flags.all ? 0 : 1)) throw new UsageError('verify needs a call id or --all');
      return verify(archiveServices(ctx), ctx.io, { callId: args[0], json: ctx.json });
    },
  },
  archive: {
    flags: ['wait', 'timeout'],
    run: (ctx, args, flags) => {
      if (args.length !== 1) throw new UsageError('archive needs the path of a saved event');
      const options = { json: ctx.json, wait: flags.wait === true, timeoutSeconds: timeoutOf(flags) };
      return archiveFile(archiveServices(ctx), ctx.io, ctx.log, args[0]!, options);
    },
  },
  redrive: {
    flags: ['container', 'prefix', 'wait', 'timeout'],
    run: (ctx, args, flags) => {
      if (args.length > 0) throw new UsageError('redrive takes no arguments (--container, --prefix)');
      return redrive(archiveServices(ctx), ctx.io, ctx.log, {
        container: flags.container ?? ctx.io.env.DEAD_LETTER_CONTAINER ?? 'eventgrid-deadletter',
        prefix: flags.prefix ?? '',
        json: ctx.json,
        wait: flags.wait === true,
        timeoutSeconds: timeoutOf(flags),
      });
    },
  },
  retry: {
    flags: [],
    run: (ctx, args) => {
      if (args.length < 1 || args.length > 2) {
        throw new UsageError('retry needs a call id and optionally a recording key');
      }
      return retry(archiveServices(ctx), ctx.io, { callId: args[0]!, recordingKey: args[1], json: ctx.json });
    },
  },
  ...PARTICIPANT_COMMANDS,
};

/** Words that start a two-word command. */
const GROUPS = new Set(
  Object.keys(COMMANDS)
    .filter((name) => name.includes(' '))
    .map((name) => name.split(' ')[0]!),
);

/**
 * The one entry path of every command: arguments parsed once (a flag the command does not take is refused), settings
 * loaded once, and every failure printed and mapped to an exit code the same way.
 */
export async function runCli(argv: string[], io: PromptingIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        all: { type: 'boolean' },
        container: { type: 'string' },
        prefix: { type: 'string' },
        wait: { type: 'boolean' },
        timeout: { type: 'string' },
        out: { type: 'string' },
        zip: { type: 'string' },
        'dry-run': { type: 'boolean' },
        reason: { type: 'string' },
        operator: { type: 'string' },
        yes: { type: 'boolean' },
        'all-participants': { type: 'boolean' },
        resume: { type: 'string' },
        tag: { type: 'string' },
      },
    });
  } catch (error) {
    return usage(io, toError(error).message);
  }
  const flags: Flags = parsed.values;
  const { positionals } = parsed;
  if (flags.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length === 0) return usage(io, 'No command given');
  const words = GROUPS.has(positionals[0]!) ? 2 : 1;
  const name = positionals.slice(0, words).join(' ');
  const command = COMMANDS[name];
  if (!command) return usage(io, `Unknown command '${safeText(name, 60)}'`);
  const unknown = Object.keys(flags).filter((flag) => flag !== 'json' && !command.flags.includes(flag as keyof Flags));
  if (unknown.length > 0) return usage(io, `${unknown.map((f) => `--${f}`).join(', ')} does not apply to ${name}`);
  let config: Config;
  try {
    config = loadConfig(settingsFrom(io));
  } catch (error) {
    io.err(error instanceof ConfigError ? `Invalid setting ${error.message}` : safeText(toError(error).message, 500));
    return 2;
  }
  const json = flags.json === true;
  const ctx: CommandContext = {
    io,
    config,
    log: cliLogger(io, json),
    json,
    stores: () => participantStores(config),
  };
  try {
    return await command.run(ctx, positionals.slice(words), flags);
  } catch (error) {
    if (error instanceof UsageError) return usage(io, error.message);
    io.err(`${name} failed: ${safeText(toError(error).message.split('\n')[0], 500)}`);
    return exitCodeFor(error);
  }
}

/**
 * 2 bad input or settings (a container that does not exist included); 1 not found, refused, or anything else that
 * will fail again the same way; 3 transient or unknown (try again).
 */
function exitCodeFor(error: unknown): number {
  if (error instanceof BadInputError || error instanceof ConfigError) return 2;
  if (error instanceof AppError) return isRetryable(error) ? 3 : 1;
  return 3;
}

function usage(io: CliIo, message: string): number {
  io.err(`${message}\n\n${USAGE}`);
  return 2;
}

/** The archiver's services, with a progress bar for copies on a terminal. */
function archiveServices(ctx: CommandContext): ArchiveServices {
  const progress = new Progress(ctx.io, 'copy');
  return createArchiveServices(ctx.config, {
    onProgress: (p) => progress.update(`${p.callId} chunk ${p.index}`, p.staged, p.total),
  });
}

function timeoutOf(flags: Flags): number {
  const seconds = Number(flags.timeout ?? '600');
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError('--timeout must be a number of seconds');
  return seconds;
}

/** The environment over local.settings.json `Values` (as the Functions host reads them). */
function settingsFrom(io: CliIo): Record<string, string | undefined> {
  const file = path.join(io.cwd, 'local.settings.json');
  let values: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    } catch {
      throw new ConfigError('local.settings.json', 'is not valid JSON');
    }
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
