import { ConfigError } from '../errors';
import { parseServiceUrl, readEnum, value, type Env } from './env';
import { sharedSuffixReason } from './sharedDomains';
import { DEFAULT_ACS_API_VERSION, type AcsAuthSettings, type AcsSettings } from './settings';

/** The ACS resource: its endpoint and how to authenticate to it, the API dialect and version, the download hosts. */

export function readAcs(env: Env): AcsSettings {
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

export function readHostList(env: Env): string[] {
  const raw = value(env, 'ACS_DOWNLOAD_HOSTS');
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const host = entry.trim().toLowerCase();
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
      throw new ConfigError('ACS_DOWNLOAD_HOSTS', `"${entry.trim()}" is not a host name or *.suffix pattern`);
    }
    const shared = host.startsWith('*.') ? sharedSuffixReason(host.slice(2)) : null;
    if (shared) {
      throw new ConfigError(
        'ACS_DOWNLOAD_HOSTS',
        `${shared}: ACS credentials would go to hosts anyone can create; name the host itself, or a domain of your own`,
      );
    }
    return host;
  });
}

function readApiVersion(env: Env): string {
  const version = value(env, 'ACS_API_VERSION') ?? DEFAULT_ACS_API_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version)) {
    throw new ConfigError('ACS_API_VERSION', `"${version}" is not an api-version like ${DEFAULT_ACS_API_VERSION}`);
  }
  return version;
}
