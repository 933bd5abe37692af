import type { ContainerClient } from '@azure/storage-blob';
import { createInterface } from 'node:readline/promises';
import type { Config } from '../../shared/config';
import { azureCredential } from '../../shared/credential';
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
  'app-url'?: string;
}

export interface CommandContext {
  io: PromptingIo;
  config: Config;
  /** Every setting the CLI runs with (the environment over local.settings.json), unvalidated. Never print a value. */
  settings: Readonly<Record<string, string | undefined>>;
  log: Logger;
  json: boolean;
  /** The archive and control containers; a missing one is a ConfigError naming its setting (never created). */
  stores(): Promise<{ archive: ContainerClient; control: ContainerClient }>;
  /** The same and the audit container (erase, hold); whether that one is immutable (it is in Azure). */
  auditedStores(): Promise<{
    archive: ContainerClient;
    control: ContainerClient;
    audit: ContainerClient;
    auditImmutable: boolean;
  }>;
  /** Who runs the command as Microsoft Entra ID says (the `oid` of the storage token); null without a token. */
  operatorObjectId(): Promise<string | null>;
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

/** The storage scope every Blob Storage client of @azure/storage-blob asks a TokenCredential for. */
const STORAGE_SCOPE = 'https://storage.azure.com/.default';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The operator's Entra object id, recorded in audit records beside the free-text --operator: the `oid` claim of the
 * token the CLI's credential gets for Blob Storage (the one its writes are authorized with, cached by the
 * credential). null with a connection string (Azurite, key-based), where there is no token. The token itself is never
 * kept, logged or printed.
 */
export async function operatorObjectIdFor(config: Pick<Config, 'storage'>): Promise<string | null> {
  if (config.storage.kind !== 'identity') return null;
  const token = await azureCredential().getToken(STORAGE_SCOPE);
  return token ? objectIdFromToken(token.token) : null;
}

/** The `oid` claim of a JWT (read, not verified: the token came from our own credential), or null. */
export function objectIdFromToken(jwt: string): string | null {
  const payload = jwt.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { oid?: unknown };
    return typeof claims.oid === 'string' && GUID.test(claims.oid) ? claims.oid.toLowerCase() : null;
  } catch {
    return null;
  }
}
