import { ConfigError } from '../errors';
import { readAcs, readHostList } from './acs';
import { readRecording } from './recording';
import { readAuditContainer } from './audit';
import {
  parseServiceUrl,
  readBoolean,
  readContainer,
  readEnum,
  readNumber,
  readOptionalUrl,
  readUrl,
  value,
  type Env,
} from './env';
import {
  DEFAULT_ARCHIVE_QUEUE,
  DEFAULT_CALLBACK_OPENID_CONFIG_URL,
  DEFAULT_DOWNLOAD_HOSTS,
  type Config,
  type QueueSettings,
  type QueueStorageSettings,
  type SenderSettings,
  type StorageSettings,
} from './settings';

/** Reads and validates every setting; throws one ConfigError naming the first bad setting. */
export function loadConfig(env: Env = process.env): Config {
  const acs = readAcs(env);
  return {
    acs,
    downloadHosts: [...DEFAULT_DOWNLOAD_HOSTS, acs.endpoint.hostname.toLowerCase(), ...readHostList(env)],
    storage: readStorage(env),
    archiveContainer: readContainer(env, 'ARCHIVE_CONTAINER', 'recordings'),
    controlContainer: readContainer(env, 'CONTROL_CONTAINER', 'recording-control'),
    auditContainer: readAuditContainer(env),
    recordingStateCallbackUrl: readOptionalUrl(env, 'RECORDING_STATE_CALLBACK_URL'),
    retentionHours: readNumber(env, 'RECORDING_RETENTION_HOURS', 24, { min: 0.0001, max: 24 * 365 }),
    deadlineWarningHours: readNumber(env, 'ARCHIVE_DEADLINE_WARNING_HOURS', 6, { min: 0, max: 24 * 365 }),
    deleteSourceAfterArchive: readBoolean(env, 'DELETE_SOURCE_AFTER_ARCHIVE', false),
    recording: readRecording(env),
    archive: {
      blockSizeBytes: readNumber(env, 'ARCHIVE_BLOCK_SIZE_MIB', 8, { min: 1, max: 100, integer: true }) * 1024 * 1024,
      blocksInFlight: readNumber(env, 'ARCHIVE_BLOCKS_IN_FLIGHT', 4, { min: 1, max: 64, integer: true }),
      lockSeconds: readNumber(env, 'ARCHIVE_LOCK_SECONDS', 60, { min: 15, max: 60, integer: true }),
      maxAttempts: readNumber(env, 'ARCHIVE_MAX_ATTEMPTS', 6, { min: 1, max: 100, integer: true }),
      retryBaseMs: readNumber(env, 'ARCHIVE_RETRY_BASE_MS', 1000, { min: 0, max: 600_000, integer: true }),
    },
    senders: readSenders(env),
    queue: readQueue(env),
    deadlineGraceHours: readNumber(env, 'ARCHIVE_DEADLINE_GRACE_HOURS', 1, { min: 0, max: 24 * 30 }),
    sweepBudgetSeconds: readNumber(env, 'SWEEP_BUDGET_SECONDS', 120, { min: 5, max: 240, integer: true }),
  };
}

/** The queue name the archiveChunk trigger listens on (read at registration, before any other setting). */
export function archiveQueueName(env: Env = process.env): string {
  const name = value(env, 'ARCHIVE_QUEUE') ?? DEFAULT_ARCHIVE_QUEUE;
  // NOTE: poison queues are named `<queue>-poison`, so the queue name leaves room for 7 more characters.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/.test(name)) {
    throw new ConfigError(
      'ARCHIVE_QUEUE',
      `"${name}" is not a valid queue name (3-56 lowercase letters, digits, single hyphens)`,
    );
  }
  return name;
}

function readSenders(env: Env): SenderSettings {
  const resourceId = value(env, 'ACS_RESOURCE_ID');
  if (
    resourceId !== undefined &&
    !/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.communication\/communicationservices\/[^/]+$/i.test(
      resourceId,
    )
  ) {
    throw new ConfigError(
      'ACS_RESOURCE_ID',
      'is not the ARM id of a Communication Services resource (/subscriptions/.../resourceGroups/.../providers/Microsoft.Communication/communicationServices/NAME)',
    );
  }
  const immutableId = value(env, 'ACS_IMMUTABLE_RESOURCE_ID');
  if (
    immutableId !== undefined &&
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(immutableId)
  ) {
    throw new ConfigError('ACS_IMMUTABLE_RESOURCE_ID', "is not a GUID (the resource's immutableResourceId property)");
  }
  return {
    acsResourceId: resourceId?.toLowerCase() ?? null,
    acsImmutableResourceId: immutableId?.toLowerCase() ?? null,
    callbackOpenIdConfigUrl: readUrl(env, 'ACS_CALLBACK_OPENID_CONFIG_URL', DEFAULT_CALLBACK_OPENID_CONFIG_URL),
    callbackAuth: readEnum(env, 'ACS_CALLBACK_AUTH', ['jwt', 'none'], 'jwt'),
  };
}

function readQueue(env: Env): QueueSettings {
  const name = archiveQueueName(env);
  return { name, poisonName: `${name}-poison`, storage: readQueueStorage(env) };
}

/**
 * The queue's account, as the Functions host reads AzureWebJobsStorage: a connection string, or identity-based
 * `AzureWebJobsStorage__queueServiceUri` / `__accountName` (with `__clientId` for a user-assigned identity).
 */
function readQueueStorage(env: Env): QueueStorageSettings | null {
  const connectionString = value(env, 'AzureWebJobsStorage');
  if (connectionString) return { kind: 'connectionString', connectionString };
  const clientId = value(env, 'AzureWebJobsStorage__clientId') ?? null;
  const serviceUri = value(env, 'AzureWebJobsStorage__queueServiceUri');
  if (serviceUri)
    return { kind: 'identity', url: parseServiceUrl('AzureWebJobsStorage__queueServiceUri', serviceUri), clientId };
  const account = value(env, 'AzureWebJobsStorage__accountName');
  if (account) {
    if (!/^[a-z0-9]{3,24}$/.test(account))
      throw new ConfigError('AzureWebJobsStorage__accountName', 'is not a storage account name');
    return { kind: 'identity', url: new URL(`https://${account}.queue.core.windows.net/`), clientId };
  }
  return null;
}

let cached: Config | undefined;

/** The process-wide configuration, read from the environment on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

function readStorage(env: Env): StorageSettings {
  // Unset stays undefined (storage.ts then uses undici), so a config without it reads as before.
  const httpClient =
    value(env, 'ARCHIVE_STORAGE_HTTP_CLIENT') === undefined
      ? undefined
      : readEnum(env, 'ARCHIVE_STORAGE_HTTP_CLIENT', ['undici', 'sdk'], 'undici');
  return { ...readStorageAccount(env), httpClient };
}

function readStorageAccount(env: Env): StorageSettings {
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
