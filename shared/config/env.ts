import { ConfigError } from '../errors';
import type { SettingName } from './settings';

/**
 * Readers of one setting each: the value trimmed (blank counts as unset), checked, typed, or a ConfigError that names
 * the setting. A secret setting's value never appears in a message.
 */

export type Env = Record<string, string | undefined>;

/** The setting's value, trimmed; undefined when unset or blank. */
export function value(env: Env, name: SettingName): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** True for names that only ever reach this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * An absolute https URL, or plain http on a loopback host (the local emulator, Azurite). `bare`: a service endpoint,
 * without query, fragment or credentials, normalised to end with '/'. `setting` names what was wrong in the error.
 */
export function parseHttpsUrl(setting: string, raw: string, options: { bare: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(setting, 'is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError(
      setting,
      `must use https (plain http is allowed only for loopback hosts), got ${url.protocol}//${url.host}`,
    );
  }
  if (options.bare) {
    if (url.search || url.hash || url.username || url.password) {
      throw new ConfigError(setting, 'must be a bare endpoint URL without query, fragment or credentials');
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
  }
  return url;
}

/** A service endpoint URL setting: https (or http on loopback), bare, ending with '/'. */
export function parseServiceUrl(setting: string, raw: string): URL {
  return parseHttpsUrl(setting, raw, { bare: true });
}

export function readOptionalUrl(env: Env, name: SettingName): URL | null {
  const raw = value(env, name);
  return raw ? parseHttpsUrl(name, raw, { bare: false }) : null;
}

export function readUrl(env: Env, name: SettingName, fallback: string): URL {
  return readOptionalUrl(env, name) ?? new URL(fallback);
}

export function readContainer(env: Env, name: SettingName, fallback: string): string {
  const container = value(env, name) ?? fallback;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw new ConfigError(
      name,
      `"${container}" is not a valid container name (3-63 lowercase letters, digits, single hyphens)`,
    );
  }
  return container;
}

export function readNumber(
  env: Env,
  name: SettingName,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < range.min || n > range.max || (range.integer && !Number.isInteger(n))) {
    const kind = range.integer ? 'a whole number' : 'a number';
    throw new ConfigError(name, `"${raw}" is not ${kind} from ${range.min} to ${range.max}`);
  }
  return n;
}

export function readBoolean(env: Env, name: SettingName, fallback: boolean): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `"${raw}" is not true or false`);
}

export function readEnum<T extends string>(env: Env, name: SettingName, allowed: readonly T[], fallback: T): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!match) throw new ConfigError(name, `"${raw}" is not one of ${allowed.join(', ')}`);
  return match;
}
