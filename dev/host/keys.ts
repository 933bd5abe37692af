import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Access keys, opt-in. `func start` enforces no keys locally, and by default neither does this host. Given keys
 * (`LOCAL_HOST_KEYS` = JSON, or `LOCAL_HOST_KEYS_FILE` = a path to the same JSON), it checks them as the Functions host
 * does in Azure:
 *   { "master": "...", "host": { "default": "..." }, "functions": { "callEvents": "..." | { "default": "..." } },
 *     "system": { "eventgrid_extension": "..." } }
 * - authLevel `anonymous`: no key; `function`: the function's own key, a host key or the master key; `admin`: the
 *   master key. A key comes in the `x-functions-key` header or the `code` query parameter; otherwise 401.
 * - the admin API (`/admin/...`) needs the master key;
 * - an extension webhook (`/runtime/webhooks/eventgrid`) needs that extension's system key (`eventgrid_extension`),
 *   or the master key.
 * Keys are compared in constant time and never logged or echoed.
 */

export interface HostKeys {
  master: string | undefined;
  host: string[];
  functions: Map<string, string[]>;
  system: Map<string, string[]>;
}

export type Access =
  | { level: 'anonymous' }
  | { level: 'function'; functionName: string }
  | { level: 'admin' }
  | { level: 'system'; extensionKeyName: string };

/** The keys configured in the host's environment, or undefined when none are (keys are then not enforced). */
export function loadKeys(env: Readonly<Record<string, string | undefined>>): HostKeys | undefined {
  const inline = env.LOCAL_HOST_KEYS;
  const file = env.LOCAL_HOST_KEYS_FILE;
  if (!inline && !file) return undefined;
  const source = inline ? 'LOCAL_HOST_KEYS' : `LOCAL_HOST_KEYS_FILE (${file})`;
  let raw: unknown;
  try {
    raw = JSON.parse(inline ?? readFileSync(file!, 'utf8'));
  } catch (error) {
    throw new Error(`${source} is not readable JSON: ${error instanceof Error ? error.message.split('\n')[0] : ''}`);
  }
  return toHostKeys(raw, source);
}

function toHostKeys(raw: unknown, source: string): HostKeys {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${source} must be an object like {"master": "...", "functions": {"name": "..."}}`);
  const value = raw as Record<string, unknown>;
  const keysOf = (entry: unknown, where: string): string[] => {
    const list = typeof entry === 'string' ? [entry] : typeof entry === 'object' && entry ? Object.values(entry) : [];
    if (list.length === 0 || list.some((k) => typeof k !== 'string' || k.length === 0))
      throw new Error(`${source}: ${where} must be a non-empty key or an object of named keys`);
    return list as string[];
  };
  const named = (entry: unknown, where: string): Map<string, string[]> => {
    if (entry === undefined) return new Map();
    if (typeof entry !== 'object' || entry === null) throw new Error(`${source}: ${where} must be an object`);
    return new Map(Object.entries(entry).map(([name, keys]) => [name.toLowerCase(), keysOf(keys, `${where}.${name}`)]));
  };
  const master = value.master;
  if (master !== undefined && (typeof master !== 'string' || !master))
    throw new Error(`${source}: master must be a non-empty string`);
  return {
    master,
    host: value.host === undefined ? [] : keysOf(value.host, 'host'),
    functions: named(value.functions, 'functions'),
    system: named(value.system, 'system'),
  };
}

/** The key a request presents: the `x-functions-key` header first, then `?code=`, as the host reads them. */
export function presentedKey(headers: Record<string, string | string[] | undefined>, url: URL): string | undefined {
  const header = headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader || url.searchParams.get('code') || undefined;
}

/** Whether `key` grants `access`. Without configured keys everything is allowed. */
export function isAuthorized(keys: HostKeys | undefined, access: Access, key: string | undefined): boolean {
  if (!keys || access.level === 'anonymous') return true;
  if (key === undefined) return false;
  const any = (candidates: readonly string[]) => candidates.reduce((found, k) => sameKey(k, key) || found, false);
  if (keys.master !== undefined && sameKey(keys.master, key)) return true;
  switch (access.level) {
    case 'admin':
      return false;
    case 'function':
      return any(keys.host) || any(keys.functions.get(access.functionName.toLowerCase()) ?? []);
    case 'system':
      return any(keys.system.get(access.extensionKeyName.toLowerCase()) ?? []);
  }
}

/** The access an HTTP trigger's authLevel asks for. */
export function accessForAuthLevel(authLevel: string | undefined, functionName: string): Access {
  switch ((authLevel ?? 'function').toLowerCase()) {
    case 'anonymous':
      return { level: 'anonymous' };
    case 'admin':
      return { level: 'admin' };
    default:
      return { level: 'function', functionName };
  }
}

// NOTE: hashing first gives equal lengths, so timingSafeEqual compares without revealing where the inputs differ.
function sameKey(expected: string, presented: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}
