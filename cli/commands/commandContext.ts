import type { ContainerClient } from '@azure/storage-blob';
import { createInterface } from 'node:readline/promises';
import { loadConfig, type Config } from '../../shared/config';
import { AppError, BadInputError, ConfigError, isRetryable, NotFoundError, toError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { containerFor } from '../../shared/storage';
import type { CliIo } from '../main';

/**
 * What the participant, hold and index commands share: the app's settings, the two containers, a logger, and the
 * confirmation prompt. main.ts hands over its own settings reader and logger so that every command reads settings
 * the same way.
 */

/** A CliIo that can ask the operator a question (a terminal). Tests supply `ask`; the real CLI uses stdin. */
export interface PromptingIo extends CliIo {
  ask?: (question: string) => Promise<string>;
}

export interface CommandDeps {
  /** The settings, as main.ts reads them (environment over local.settings.json). */
  settings: () => Record<string, string | undefined>;
  logger: (json: boolean) => Logger;
}

export interface CommandContext {
  io: PromptingIo;
  config: Config;
  log: Logger;
  json: boolean;
  stores(): Promise<{ archive: ContainerClient; control: ContainerClient }>;
}

export function contextFor(io: PromptingIo, deps: CommandDeps, json: boolean): CommandContext | number {
  let config: Config;
  try {
    config = loadConfig(deps.settings());
  } catch (error) {
    io.err(error instanceof ConfigError ? `Invalid setting ${error.message}` : toError(error).message);
    return 2;
  }
  return {
    io,
    config,
    log: deps.logger(json),
    json,
    stores: async () => {
      const [archive, control] = await Promise.all([
        containerFor(config, config.archiveContainer),
        containerFor(config, config.controlContainer),
      ]);
      return { archive, control };
    },
  };
}

/**
 * Asks the operator to type `word`. null when there is no terminal to ask on (the caller refuses, exit 2: an
 * irreversible command never proceeds on a default).
 */
export async function confirm(io: PromptingIo, question: string, word: string): Promise<boolean | null> {
  const ask = io.ask ?? (process.stdin.isTTY ? askOnTerminal : undefined);
  if (!ask) return null;
  const answer = await ask(`${question} Type '${word}' to confirm: `);
  return answer.trim() === word;
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/** Exit codes: 2 bad input, 1 not found or refused, 3 transient (try again). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof BadInputError) return 2;
  if (error instanceof NotFoundError) return 1;
  if (error instanceof AppError) return isRetryable(error) ? 3 : 1;
  return 3;
}

/** Prints a failure the way main.ts does (`<verb> failed: …`) and returns its exit code. */
export function failed(io: CliIo, verb: string, error: unknown): number {
  io.err(`${verb} failed: ${toError(error).message.split('\n')[0]}`);
  return exitCodeFor(error);
}
