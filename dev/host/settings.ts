import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Host settings, read as the Functions host reads them: host.json, with any value overridden by an app setting named
 * `AzureFunctionsJobHost__path__to__value` (e.g. `AzureFunctionsJobHost__extensions__queues__batchSize=2`), and the
 * app's own settings from the worker's environment. Pure apart from reading host.json.
 */

export type HostJson = Record<string, unknown>;

const OVERRIDE_PREFIX = 'azurefunctionsjobhost__';

/** The argument of `serve.js` that leaves local.settings.json unread (spawnLocalHost passes it unless told not to). */
export const NO_LOCAL_SETTINGS = '--no-local-settings';

export function readHostJson(appRoot: string, env: Readonly<Record<string, string | undefined>>): HostJson {
  const file = path.join(appRoot, 'host.json');
  const hostJson = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as HostJson) : {};
  return withOverrides(hostJson, env);
}

/** host.json with `AzureFunctionsJobHost__a__b` settings applied over `a.b` (keys match case-insensitively). */
export function withOverrides(hostJson: HostJson, env: Readonly<Record<string, string | undefined>>): HostJson {
  const result = structuredClone(hostJson);
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || !key.toLowerCase().startsWith(OVERRIDE_PREFIX)) continue;
    const parts = key.slice(OVERRIDE_PREFIX.length).split('__');
    let node: Record<string, unknown> = result;
    parts.forEach((part, i) => {
      const existing = Object.keys(node).find((k) => k.toLowerCase() === part.toLowerCase()) ?? part;
      if (i === parts.length - 1) node[existing] = value;
      else {
        const child = node[existing];
        const next: Record<string, unknown> = typeof child === 'object' && child !== null ? { ...child } : {};
        node = node[existing] = next;
      }
    });
  }
  return result;
}

/** A case-insensitive lookup along a path of host.json keys. */
export function hostJsonValue(hostJson: HostJson, ...keys: string[]): unknown {
  let node: unknown = hostJson;
  for (const key of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    const entries = Object.entries(node as Record<string, unknown>);
    node = entries.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  }
  return node;
}

/**
 * A .NET TimeSpan in milliseconds, as the host's configuration binder parses it: `[-][d.]hh:mm[:ss[.fffffff]]`, or a
 * bare integer, which TimeSpan.Parse takes as DAYS (a known trap: `"maxPollingInterval": 2000` is 2000 days).
 */
export function parseTimeSpan(value: unknown, setting: string): number {
  const text = scalarText(value).trim();
  if (/^-?\d+$/.test(text)) return Number(text) * 86_400_000;
  const match = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(text);
  if (!match) throw new Error(`${setting}: '${text}' is not a TimeSpan (hh:mm:ss, d.hh:mm:ss or hh:mm:ss.fff)`);
  const [, minus, days, hours, minutes, seconds, fraction] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59)
    throw new Error(`${setting}: '${text}' is out of range for a TimeSpan`);
  const ms =
    Number(days ?? 0) * 86_400_000 +
    Number(hours) * 3_600_000 +
    Number(minutes) * 60_000 +
    Number(seconds ?? 0) * 1000 +
    Number(`0.${fraction ?? '0'}`) * 1000;
  return minus ? -ms : ms;
}

export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  /** How long a FAILED message stays invisible before its retry. */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

/** The Storage queue extension's minimum polling interval (QueuePollingIntervals.Minimum). */
export const MIN_POLLING_INTERVAL_MS = 100;

/**
 * `extensions.queues` with the extension's defaults and checks (QueuesOptions): batchSize 1-32 (16),
 * newBatchThreshold >= 0 (batchSize/2 x processor count), maxPollingInterval >= 100 ms (1 min), visibilityTimeout (0),
 * maxDequeueCount >= 1 (5), messageEncoding base64 | none (base64).
 */
export function queueOptions(hostJson: HostJson, processorCount = os.availableParallelism()): QueueOptions {
  const queues = (name: string) => hostJsonValue(hostJson, 'extensions', 'queues', name);
  const integer = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = queues(name);
    if (value === undefined || value === null || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`extensions.queues.${name}: ${scalarText(value)} is not an integer from ${min} to ${max}`);
    return n;
  };
  const timeSpan = (name: string, fallback: number): number => {
    const value = queues(name);
    return value === undefined || value === null || value === ''
      ? fallback
      : parseTimeSpan(value, `extensions.queues.${name}`);
  };
  const batchSize = integer('batchSize', 16, 1, 32);
  const maxPollingIntervalMs = timeSpan('maxPollingInterval', 60_000);
  if (maxPollingIntervalMs < MIN_POLLING_INTERVAL_MS)
    throw new Error('extensions.queues.maxPollingInterval must not be less than 00:00:00.1');
  const visibilityTimeoutMs = timeSpan('visibilityTimeout', 0);
  if (visibilityTimeoutMs < 0) throw new Error('extensions.queues.visibilityTimeout must not be negative');
  const encoding = scalarText(queues('messageEncoding') ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none')
    throw new Error(`extensions.queues.messageEncoding: '${encoding}' is not base64 or none`);
  return {
    batchSize,
    newBatchThreshold: integer('newBatchThreshold', Math.floor(batchSize / 2) * processorCount, 0),
    maxPollingIntervalMs,
    visibilityTimeoutMs,
    maxDequeueCount: integer('maxDequeueCount', 5, 1),
    messageEncoding: encoding,
  };
}

/**
 * Resolves the `%NAME%` binding expressions of a binding property from the app settings, as the host's name resolver
 * does (azure-webjobs-sdk NameResolverExtensions.ResolveWholeString over DefaultNameResolver): every `%…%` pair is
 * replaced; a name that has no value, an empty `%%`, or a `%` without its closing one throws, and the function that
 * holds the binding is then in error (see indexing.ts). NOTE: the resolver reads .NET configuration, whose keys are
 * case-insensitive and whose `:` is written `__` in an environment variable, so `%Queues:Chunks%` reads
 * `Queues__Chunks`. A setting that is set but empty resolves to the empty string (the binding then refuses it).
 */
export function resolveBindingExpression(value: string, env: Readonly<Record<string, string | undefined>>): string {
  let resolved = '';
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf('%', i);
    if (start < 0) return resolved + value.slice(i);
    const end = value.indexOf('%', start + 1);
    if (end < 0) throw new Error(`The '%' at position ${start} does not have a closing '%'`);
    const name = value.slice(start + 1, end);
    const setting = name === '' ? undefined : appSetting(name, env);
    if (setting === undefined) throw new Error(`'%${name}%' does not resolve to a value.`);
    resolved += value.slice(i, start) + setting;
    i = end + 1;
  }
  return resolved;
}

/** An app setting by its configuration key: case-insensitive, `:` as `__` (how .NET reads the environment). */
function appSetting(name: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const key = name.replace(/:/g, '__').toLowerCase();
  const exact = env[name.replace(/:/g, '__')];
  if (exact !== undefined) return exact;
  return Object.entries(env).find(([k, v]) => v !== undefined && k.toLowerCase() === key)?.[1];
}

/** The rules for a queue name (3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric). */
export function isValidQueueName(name: string): boolean {
  return name.length >= 3 && name.length <= 63 && /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(name);
}

/**
 * The connection string a binding's `connection` names: the setting itself, or `AzureWebJobs<name>`, as the Storage
 * extension looks them up. Identity-based connections (`<name>__queueServiceUri`) have no credential locally.
 */
export function storageConnectionString(connection: string, env: Readonly<Record<string, string | undefined>>): string {
  const value = env[connection] ?? env[`AzureWebJobs${connection}`];
  if (value) return value;
  if (['__queueServiceUri', '__serviceUri', '__accountName'].some((suffix) => env[`${connection}${suffix}`]))
    throw new Error(
      `'${connection}' is an identity-based connection; the local host needs a connection string in '${connection}'.`,
    );
  throw new Error(
    `Storage account connection string '${connection}' does not exist. Make sure that it is a defined App Setting.`,
  );
}

/** A host.json value as text (JSON for anything that is not a string, number or boolean). */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

/** host.json `logging.logLevel` values, least to most severe. */
export type LogLevel = 'Trace' | 'Debug' | 'Information' | 'Warning' | 'Error' | 'Critical';

const LEVELS: LogLevel[] = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical'];

/**
 * Whether host.json `logging.logLevel` lets a category log at a level: the longest matching category prefix wins,
 * then `default`, then Information (the rules of Microsoft.Extensions.Logging filters).
 */
export function logLevelEnabled(hostJson: HostJson, category: string, level: LogLevel): boolean {
  const levels = hostJsonValue(hostJson, 'logging', 'logLevel');
  let configured = 'Information';
  if (typeof levels === 'object' && levels !== null) {
    const entries = Object.entries(levels as Record<string, unknown>);
    const match = entries
      .filter(([k]) => k.toLowerCase() !== 'default' && category.toLowerCase().startsWith(k.toLowerCase()))
      .sort(([a], [b]) => b.length - a.length)[0];
    const fallback = entries.find(([k]) => k.toLowerCase() === 'default');
    configured = scalarText(match?.[1] ?? fallback?.[1] ?? 'Information');
  }
  if (configured.toLowerCase() === 'none') return false;
  const wanted = LEVELS.findIndex((l) => l.toLowerCase() === configured.toLowerCase());
  return LEVELS.indexOf(level) >= (wanted < 0 ? 2 : wanted);
}
