import { ConfigError } from '../errors';
import { parseHttpsUrl, readBoolean, readEnum, value, type Env } from './env';
import { RECORDING_COMBINATIONS, type RecordingOptions } from './settings';

/** What GA starts ask ACS to record: content, channels, format, paused or not, and where (bring your own storage). */

export function readRecording(env: Env): RecordingOptions {
  const recording: RecordingOptions = {
    contentType: readEnum(env, 'RECORDING_CONTENT_TYPE', ['audio', 'audioVideo'], 'audioVideo'),
    channelType: readEnum(env, 'RECORDING_CHANNEL_TYPE', ['mixed', 'unmixed'], 'mixed'),
    formatType: readEnum(env, 'RECORDING_FORMAT_TYPE', ['wav', 'mp3', 'mp4'], 'mp4'),
    pauseOnStart: readBoolean(env, 'RECORDING_PAUSE_ON_START', false),
    ...readExternalStorage(env),
  };
  const allowed = RECORDING_COMBINATIONS.some(
    ([content, channel, format]) =>
      content === recording.contentType && channel === recording.channelType && format === recording.formatType,
  );
  if (!allowed) {
    const setting =
      value(env, 'RECORDING_FORMAT_TYPE') !== undefined
        ? 'RECORDING_FORMAT_TYPE'
        : value(env, 'RECORDING_CHANNEL_TYPE') !== undefined
          ? 'RECORDING_CHANNEL_TYPE'
          : 'RECORDING_CONTENT_TYPE';
    throw new ConfigError(
      setting,
      `ACS does not record ${recording.contentType} ${recording.channelType} ${recording.formatType}; ` +
        `set RECORDING_CONTENT_TYPE, RECORDING_CHANNEL_TYPE and RECORDING_FORMAT_TYPE to one of: ` +
        RECORDING_COMBINATIONS.map((c) => c.join(' ')).join(', '),
    );
  }
  return recording;
}

/**
 * Bring your own storage: the https container ACS records into. ACS writes there with its own managed identity, so
 * the URL carries no SAS (a query would put a credential in the app settings and in every start request).
 */
function readExternalStorage(env: Env): Pick<RecordingOptions, 'externalStorageUrl'> {
  const setting = 'RECORDING_EXTERNAL_STORAGE_URL';
  const raw = value(env, setting);
  if (raw === undefined) return {};
  // NOTE: plain http only on loopback: Azurite, which the local emulator writes bring-your-own-storage files into.
  const url = parseHttpsUrl(setting, raw, { bare: false });
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      setting,
      "must be a container URL without query, fragment or credentials (ACS writes with its managed identity; give it the 'Storage Blob Data Contributor' role on the account)",
    );
  }
  if (url.pathname === '/') {
    throw new ConfigError(setting, 'must name a container: https://ACCOUNT.blob.core.windows.net/CONTAINER');
  }
  if (readEnum(env, 'ACS_RECORDING_API', ['calling', 'conversations'], 'calling') === 'conversations') {
    throw new ConfigError(
      setting,
      'the 2021 API (ACS_RECORDING_API=conversations) cannot record into your own storage',
    );
  }
  return { externalStorageUrl: url.href };
}
