#!/usr/bin/env node
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../shared/config';
import { AppError, BadInputError, ConfigError, isRetryable, toError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { auditedStores, participantStores } from '../shared/participants';
import { safeText } from '../shared/text';
import { archiveCommand } from './commands/archive';
import { doctorCommand } from './commands/doctor';
import {
  operatorObjectIdFor,
  UsageError,
  type Command,
  type CommandContext,
  type Flags,
  type PromptingIo,
} from './commands/commandContext';
import { holdClearCommand, holdSetCommand } from './commands/hold';
import { indexRebuildCommand } from './commands/indexRebuild';
import { participantEraseCommand } from './commands/participantErase';
import { participantExportCommand } from './commands/participantExport';
import { redriveCommand } from './commands/redrive';
import { retryCommand } from './commands/retry';
import { statusCommand } from './commands/status';
import { verifyCommand } from './commands/verify';
import type { CliIo } from './io';
import { USAGE } from './usage';

/**
 * Operator tool with the app's own settings (environment, then local.settings.json `Values`).
 * Exit codes: 0 all good; 1 something needs attention (failed, mismatched, rejected, near its deadline);
 * 2 bad usage or settings; 3 a transient failure (try again later).
 */

/** Every command: one word, or two for the participants' data commands (`participant export`, `hold set`, …). */
const COMMANDS: Record<string, Command> = {
  status: statusCommand,
  verify: verifyCommand,
  archive: archiveCommand,
  redrive: redriveCommand,
  retry: retryCommand,
  'participant export': participantExportCommand,
  'participant erase': participantEraseCommand,
  'hold set': holdSetCommand,
  'hold clear': holdClearCommand,
  'index rebuild': indexRebuildCommand,
  doctor: doctorCommand,
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
        'app-url': { type: 'string' },
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
  let settings: Record<string, string | undefined>;
  try {
    settings = settingsFrom(io);
    config = loadConfig(settings);
  } catch (error) {
    io.err(error instanceof ConfigError ? `Invalid setting ${error.message}` : safeText(toError(error).message, 500));
    return 2;
  }
  const json = flags.json === true;
  const ctx: CommandContext = {
    io,
    config,
    settings,
    log: cliLogger(io, json),
    json,
    stores: () => participantStores(config),
    auditedStores: () => auditedStores(config),
    operatorObjectId: () => operatorObjectIdFor(config),
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
