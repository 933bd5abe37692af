/**
 * The app's settings (app settings in Azure, `Values` in local.settings.json, or the environment): their names, the
 * typed values loadConfig makes of them, and their defaults. docs/settings.md documents each name here, and a test
 * holds the two together.
 */

/** Every setting the app reads. A reader takes only these names, so a new setting cannot go undocumented. */
export const SETTING_NAMES = [
  'ACS_CONNECTION_STRING',
  'ACS_ENDPOINT',
  'ACS_RECORDING_API',
  'ACS_API_VERSION',
  'ACS_DOWNLOAD_HOSTS',
  'ACS_RESOURCE_ID',
  'ACS_IMMUTABLE_RESOURCE_ID',
  'ACS_CALLBACK_OPENID_CONFIG_URL',
  'ACS_CALLBACK_AUTH',
  'ARCHIVE_STORAGE_CONNECTION_STRING',
  'ARCHIVE_STORAGE_URL',
  'ARCHIVE_STORAGE_HTTP_CLIENT',
  'ARCHIVE_CONTAINER',
  'CONTROL_CONTAINER',
  'AUDIT_CONTAINER',
  'CONSOLE_AUTH',
  'ARCHIVE_QUEUE',
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__clientId',
  'RECORDING_STATE_CALLBACK_URL',
  'RECORDING_RETENTION_HOURS',
  'RECORDING_CONTENT_TYPE',
  'RECORDING_CHANNEL_TYPE',
  'RECORDING_FORMAT_TYPE',
  'RECORDING_PAUSE_ON_START',
  'RECORDING_EXTERNAL_STORAGE_URL',
  'DELETE_SOURCE_AFTER_ARCHIVE',
  'ARCHIVE_DEADLINE_WARNING_HOURS',
  'ARCHIVE_DEADLINE_GRACE_HOURS',
  'SWEEP_BUDGET_SECONDS',
  'ARCHIVE_BLOCK_SIZE_MIB',
  'ARCHIVE_BLOCKS_IN_FLIGHT',
  'ARCHIVE_LOCK_SECONDS',
  'ARCHIVE_MAX_ATTEMPTS',
  'ARCHIVE_RETRY_BASE_MS',
  'DEAD_LETTER_CONTAINER',
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];

export const DEFAULT_ACS_API_VERSION = '2025-06-15';

/** Hosts the recording store serves from; the ACS endpoint's host is added at load time. */
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

/** Who may send events and callbacks (docs/security.md). */
export interface SenderSettings {
  /**
   * ARM id of the ACS resource (ACS_RESOURCE_ID), lower-cased: Event Grid events whose topic (or CloudEvents source)
   * is another resource are refused. null: no check.
   */
  acsResourceId: string | null;
  /** The ACS resource's immutable id (ACS_IMMUTABLE_RESOURCE_ID): the audience of Call Automation JWTs; null: no check. */
  acsImmutableResourceId: string | null;
  /** Where the keys of Call Automation callback JWTs are published (ACS_CALLBACK_OPENID_CONFIG_URL). */
  callbackOpenIdConfigUrl: URL;
  /**
   * ACS_CALLBACK_AUTH: `jwt` (default): callbacks need a valid token, and are refused when there is no audience to
   * check it against; `none`: callbacks are taken unchecked when ACS_IMMUTABLE_RESOURCE_ID is not set (the 2021
   * dialect, whose callbacks carry no token; tests).
   */
  callbackAuth: 'jwt' | 'none';
}

/** The Storage queue of chunk copies, in the AzureWebJobsStorage account. */
export interface QueueSettings {
  /** ARCHIVE_QUEUE, default archive-chunks. */
  name: string;
  /** Where the Functions queue extension moves messages that failed maxDequeueCount times. */
  poisonName: string;
  /** null when AzureWebJobsStorage is not set: enqueueing then fails with a ConfigError naming it. */
  storage: QueueStorageSettings | null;
}

export type QueueStorageSettings =
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; url: URL; clientId: string | null };

export type StorageSettings = (
  { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; url: URL }
) & {
  /** How the Blob clients send (ARCHIVE_STORAGE_HTTP_CLIENT): pooled undici (default), or the SDK's node:http client. */
  httpClient?: 'undici' | 'sdk';
};

export interface RecordingOptions {
  contentType: 'audio' | 'audioVideo';
  channelType: 'mixed' | 'unmixed';
  formatType: 'wav' | 'mp3' | 'mp4';
  pauseOnStart: boolean;
  /** Bring your own storage: the container GA starts ask ACS to record into (RECORDING_EXTERNAL_STORAGE_URL). */
  externalStorageUrl?: string;
}

/** The combinations ACS records (content, channel, format); anything else is refused at start-up. */
export const RECORDING_COMBINATIONS: readonly (readonly [
  RecordingOptions['contentType'],
  RecordingOptions['channelType'],
  RecordingOptions['formatType'],
])[] = [
  ['audioVideo', 'mixed', 'mp4'],
  ['audio', 'mixed', 'mp3'],
  ['audio', 'mixed', 'wav'],
  ['audio', 'unmixed', 'wav'],
];

export interface ArchiveTuning {
  /** Bytes per staged block; memory per chunk copy is blockSize x (blocksInFlight + 1). */
  blockSizeBytes: number;
  blocksInFlight: number;
  /** Seconds of the per-chunk lease (15-60): how soon a crashed copier's chunk can be taken over. */
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
  /** Erasure and legal-hold records (the CLI) and the console's access records (AUDIT_CONTAINER): immutable in Azure. */
  auditContainer: string;
  recordingStateCallbackUrl: URL | null;
  retentionHours: number;
  deadlineWarningHours: number;
  deleteSourceAfterArchive: boolean;
  recording: RecordingOptions;
  archive: ArchiveTuning;
  senders: SenderSettings;
  queue: QueueSettings;
  /** After its deadline plus this, a recording that is still not archived is marked failed and no longer warned of. */
  deadlineGraceHours: number;
  /** How long one sweep may re-enqueue before it stops (the rest waits for the next run). */
  sweepBudgetSeconds: number;
}

/** Microsoft's published OpenID configuration of Call Automation callback tokens. */
export const DEFAULT_CALLBACK_OPENID_CONFIG_URL =
  'https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration';

export const DEFAULT_ARCHIVE_QUEUE = 'archive-chunks';
