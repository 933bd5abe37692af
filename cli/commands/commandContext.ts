import type { ContainerClient } from '@azure/storage-blob';
import { createInterface } from 'node:readline/promises';
import type { Config } from '../../shared/config';
import { BadInputError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { CliIo } from '../io';

/**
 * What every command gets from main.ts, the one entry path: the flags (parsed once), the app's settings (loaded
 * once), a logger, the containers, and the confirmation prompt.
 */

/** A CliIo that can ask the operator a question (a terminal). Tests supply `ask`; the real CLI uses stdin. */
export interface PromptingIo extends CliIo {
  ask?: (question: string) => Promise<string>;
}

/** Every flag of every command; one not given is undefined. */
export interface Flags {
  json?: boolean;
  help?: boolean;
  all?: boolean;
  container?: string;
  prefix?: string;
  wait?: boolean;
  timeout?: string;
  out?: string;
  zip?: string;
  'dry-run'?: boolean;
  reason?: string;
  operator?: string;
  yes?: boolean;
  'all-participants'?: boolean;
  resume?: string;
  tag?: string;
}

export interface CommandContext {
  io: PromptingIo;
  config: Config;
  log: Logger;
  json: boolean;
  /** The archive and control containers; a missing one is a ConfigError naming its setting (never created). */
  stores(): Promise<{ archive: ContainerClient; control: ContainerClient }>;
}

export interface Command {
  /** The flags it takes besides --json and --help; main.ts refuses any other. */
  flags: readonly (keyof Flags)[];
  /** The exit code; throws to fail (main.ts prints it and picks the code). */
  run(ctx: CommandContext, args: readonly string[], flags: Flags): Promise<number>;
}

/** Bad usage (arguments, flags that do not go together): printed with the usage text, exit 2. */
export class UsageError extends BadInputError {}

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
