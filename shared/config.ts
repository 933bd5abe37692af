import { ConfigError } from './errors';

/**
 * Every setting of the app (SPEC section 7), read and validated in one place. A bad or missing setting fails with a
 * ConfigError naming it; values of secret settings never appear in a message.
 */

export const DEFAULT_ACS_API_VERSION = '2025-06-15';

/** Hosts the recording store serves from (SPEC section 3); the ACS endpoint's host is added at load time. */
export const DEFAULT_DOWNLOAD_HOSTS = [
  '*.asm.skype.com',
  '*.asyncgw.teams.microsoft.com',
  '*.ams.gov.teams.microsoft.us',
];

export type RecordingApiDialect = 'calling' | 'conversations';

export type AcsAuthSettings = { kind: 'key'; accessKey: Buffer } | { kind: 'identity' };

export interface AcsSettings {
  /** Endpoint with a trailing slash, e.g. https://name.communication.azure.com/ */
  endpoint: URL;
  auth: AcsAuthSettings;
  dialect: RecordingApiDialect;
  apiVersion: string;
}

export type StorageSettings = { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; url: URL };

export interface RecordingOptions {
  contentType: 'audio' | 'audioVideo';
  channelType: 'mixed' | 'unmixed';
  formatType: 'wav' | 'mp3' | 'mp4';
  pauseOnStart: boolean;
}

export interface ArchiveTuning {
  /** Bytes per staged block; memory per chunk copy is blockSize x blocksInFlight. */
  blockSizeBytes: number;
  blocksInFlight: number;
  /** Chunks of one recording copied at once. */
  chunkConcurrency: number;
  /** Seconds of the per-recording lease (15-60): how soon a crashed copier's recording can be taken over. */
  lockSeconds: number;
  /** Download attempts per file within one invocation, and the first backoff delay. */
  maxAttempts: number;
  retryBaseMs: number;
}

export interface Config {
  acs: AcsSettings;
  /** Host patterns downloads may go to: exact names or `*.suffix` wildcards, lowercase, no port. */
  downloadHosts: string[];
  storage: StorageSettings;
  archiveContainer: string;
  controlContainer: string;
  recordingStateCallbackUrl: URL | null;
  retentionHours: number;
  deadlineWarningHours: number;
  deleteSourceAfterArchive: boolean;
  recording: RecordingOptions;
  archive: ArchiveTuning;
}

type Env = Record<string, string | undefined>;

/** Reads and validates every setting; throws one ConfigError naming the first bad setting. */
export function loadConfig(env: Env = process.env): Config {
  const acs = readAcs(env);
  return {
    acs,
    downloadHosts: [...DEFAULT_DOWNLOAD_HOSTS, acs.endpoint.hostname.toLowerCase(), ...readHostList(env)],
    storage: readStorage(env),
    archiveContainer: readContainer(env, 'ARCHIVE_CONTAINER', 'recordings'),
    controlContainer: readContainer(env, 'CONTROL_CONTAINER', 'recording-control'),
    recordingStateCallbackUrl: readOptionalUrl(env, 'RECORDING_STATE_CALLBACK_URL'),
    retentionHours: readNumber(env, 'RECORDING_RETENTION_HOURS', 24, { min: 0.0001, max: 24 * 365 }),
    deadlineWarningHours: readNumber(env, 'ARCHIVE_DEADLINE_WARNING_HOURS', 6, { min: 0, max: 24 * 365 }),
    deleteSourceAfterArchive: readBoolean(env, 'DELETE_SOURCE_AFTER_ARCHIVE', false),
    recording: {
      contentType: readEnum(env, 'RECORDING_CONTENT_TYPE', ['audio', 'audioVideo'], 'audioVideo'),
      channelType: readEnum(env, 'RECORDING_CHANNEL_TYPE', ['mixed', 'unmixed'], 'mixed'),
      formatType: readEnum(env, 'RECORDING_FORMAT_TYPE', ['wav', 'mp3', 'mp4'], 'mp4'),
      pauseOnStart: readBoolean(env, 'RECORDING_PAUSE_ON_START', false),
    },
    archive: {
      blockSizeBytes: readNumber(env, 'ARCHIVE_BLOCK_SIZE_MIB', 8, { min: 1, max: 100, integer: true }) * 1024 * 1024,
      blocksInFlight: readNumber(env, 'ARCHIVE_BLOCKS_IN_FLIGHT', 4, { min: 1, max: 64, integer: true }),
      chunkConcurrency: readNumber(env, 'ARCHIVE_CHUNK_CONCURRENCY', 2, { min: 1, max: 16, integer: true }),
      lockSeconds: readNumber(env, 'ARCHIVE_LOCK_SECONDS', 60, { min: 15, max: 60, integer: true }),
      maxAttempts: readNumber(env, 'ARCHIVE_MAX_ATTEMPTS', 6, { min: 1, max: 100, integer: true }),
      retryBaseMs: readNumber(env, 'ARCHIVE_RETRY_BASE_MS', 1000, { min: 0, max: 600_000, integer: true }),
    },
  };
}

let cached: Config | undefined;

/** The process-wide configuration, read from the environment on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/** For tests and the local host, which change the environment between runs. */
export function resetConfigCache(): void {
  cached = undefined;
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function readAcs(env: Env): AcsSettings {
  const connectionString = value(env, 'ACS_CONNECTION_STRING');
  const endpointSetting = value(env, 'ACS_ENDPOINT');
  let endpoint: URL;
  let auth: AcsAuthSettings;
  if (connectionString) {
    const parsed = parseAcsConnectionString(connectionString);
    endpoint = parsed.endpoint;
    auth = { kind: 'key', accessKey: parsed.accessKey };
  } else if (endpointSetting) {
    endpoint = parseServiceUrl('ACS_ENDPOINT', endpointSetting);
    auth = { kind: 'identity' };
  } else {
    throw new ConfigError(
      'ACS_CONNECTION_STRING',
      'set ACS_CONNECTION_STRING (endpoint=...;accesskey=...) or ACS_ENDPOINT (managed identity); neither is set',
    );
  }
  return {
    endpoint,
    auth,
    dialect: readEnum(env, 'ACS_RECORDING_API', ['calling', 'conversations'], 'calling'),
    apiVersion: readApiVersion(env),
  };
}

/** Parses `endpoint=https://NAME.communication.azure.com/;accesskey=KEY` (keys case-insensitive). */
export function parseAcsConnectionString(connectionString: string): { endpoint: URL; accessKey: Buffer } {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const endpoint = parts.get('endpoint');
  const key = parts.get('accesskey');
  if (!endpoint || !key) {
    throw new ConfigError(
      'ACS_CONNECTION_STRING',
      'expected the form endpoint=https://NAME.communication.azure.com/;accesskey=KEY',
    );
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    throw new ConfigError('ACS_CONNECTION_STRING', "accesskey is not base64 (copy it from the resource's Keys page)");
  }
  return { endpoint: parseServiceUrl('ACS_CONNECTION_STRING', endpoint), accessKey: Buffer.from(key, 'base64') };
}

/** True for names that only ever reach this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** An https URL, or plain http on loopback (the local emulator); normalised to end with '/'. */
function parseServiceUrl(setting: string, raw: string): URL {
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
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(setting, 'must be a bare endpoint URL without query, fragment or credentials');
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function readStorage(env: Env): StorageSettings {
  const connectionString = value(env, 'ARCHIVE_STORAGE_CONNECTION_STRING');
  if (connectionString) {
    if (!/(AccountName=|BlobEndpoint=|UseDevelopmentStorage=true)/i.test(connectionString)) {
      throw new ConfigError(
        'ARCHIVE_STORAGE_CONNECTION_STRING',
        'is not a Storage connection string (no AccountName or BlobEndpoint)',
      );
    }
    return { kind: 'connectionString', connectionString };
  }
  const url = value(env, 'ARCHIVE_STORAGE_URL');
  if (url) return { kind: 'identity', url: parseServiceUrl('ARCHIVE_STORAGE_URL', url) };
  throw new ConfigError(
    'ARCHIVE_STORAGE_URL',
    'set ARCHIVE_STORAGE_URL (managed identity) or ARCHIVE_STORAGE_CONNECTION_STRING; neither is set',
  );
}

function readHostList(env: Env): string[] {
  const raw = value(env, 'ACS_DOWNLOAD_HOSTS');
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const host = entry.trim().toLowerCase();
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
      throw new ConfigError('ACS_DOWNLOAD_HOSTS', `"${entry.trim()}" is not a host name or *.suffix pattern`);
    }
    return host;
  });
}

function readContainer(env: Env, name: string, fallback: string): string {
  const container = value(env, name) ?? fallback;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw new ConfigError(
      name,
      `"${container}" is not a valid container name (3-63 lowercase letters, digits, single hyphens)`,
    );
  }
  return container;
}

function readOptionalUrl(env: Env, name: string): URL | null {
  const raw = value(env, name);
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError(name, 'must use https (plain http is allowed only for loopback hosts)');
  }
  return url;
}

function readApiVersion(env: Env): string {
  const version = value(env, 'ACS_API_VERSION') ?? DEFAULT_ACS_API_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version)) {
    throw new ConfigError('ACS_API_VERSION', `"${version}" is not an api-version like ${DEFAULT_ACS_API_VERSION}`);
  }
  return version;
}

function readNumber(
  env: Env,
  name: string,
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

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `"${raw}" is not true or false`);
}

function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const match = allowed.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!match) throw new ConfigError(name, `"${raw}" is not one of ${allowed.join(', ')}`);
  return match;
}
