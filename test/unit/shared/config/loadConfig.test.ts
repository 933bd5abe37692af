import { loadConfig, DEFAULT_ACS_API_VERSION } from '../../../../shared/config';
import { ConfigError } from '../../../../shared/errors';

const KEY = Buffer.from('not-a-real-key-but-32-bytes-long!').toString('base64');
const base = {
  ACS_CONNECTION_STRING: `endpoint=https://contoso.communication.azure.com/;accesskey=${KEY}`,
  ARCHIVE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.acs.endpoint.href).toBe('https://contoso.communication.azure.com/');
    expect(config.acs.auth).toEqual({ kind: 'key', accessKey: Buffer.from(KEY, 'base64') });
    expect(config.acs.dialect).toBe('calling');
    expect(config.acs.apiVersion).toBe(DEFAULT_ACS_API_VERSION);
    expect(config.archiveContainer).toBe('recordings');
    expect(config.retentionHours).toBe(24);
    expect(config.deleteSourceAfterArchive).toBe(false);
    expect(config.downloadHosts).toEqual(
      expect.arrayContaining(['*.asm.skype.com', 'contoso.communication.azure.com']),
    );
    expect(config.recording).toEqual({
      contentType: 'audioVideo',
      channelType: 'mixed',
      formatType: 'mp4',
      pauseOnStart: false,
    });
  });

  it('uses managed identity when only endpoints are set', () => {
    const config = loadConfig({
      ACS_ENDPOINT: 'https://contoso.communication.azure.com',
      ARCHIVE_STORAGE_URL: 'https://acct.blob.core.windows.net',
    });
    expect(config.acs.auth).toEqual({ kind: 'identity' });
    expect(config.storage).toEqual({ kind: 'identity', url: new URL('https://acct.blob.core.windows.net/') });
  });

  it('allows plain http only for loopback endpoints', () => {
    expect(
      loadConfig({ ...base, ACS_CONNECTION_STRING: `endpoint=http://127.0.0.1:8443/;accesskey=${KEY}` }).acs.endpoint
        .host,
    ).toBe('127.0.0.1:8443');
    const error = configError({ ...base, ACS_CONNECTION_STRING: `endpoint=http://contoso.example/;accesskey=${KEY}` });
    expect(error.setting).toBe('ACS_CONNECTION_STRING');
    expect(error.message).toMatch(/https/);
    expect(error.message).not.toContain(KEY);
  });

  it.each([
    [{ ACS_CONNECTION_STRING: '' }, 'ACS_CONNECTION_STRING'],
    [{ ACS_CONNECTION_STRING: 'endpoint=https://x.communication.azure.com/' }, 'ACS_CONNECTION_STRING'],
    [{ ARCHIVE_STORAGE_CONNECTION_STRING: '' }, 'ARCHIVE_STORAGE_URL'],
    [{ ACS_RECORDING_API: 'v2' }, 'ACS_RECORDING_API'],
    [{ ACS_API_VERSION: 'latest' }, 'ACS_API_VERSION'],
    [{ ACS_DOWNLOAD_HOSTS: 'good.example, bad/host' }, 'ACS_DOWNLOAD_HOSTS'],
    [{ ARCHIVE_CONTAINER: 'Recordings' }, 'ARCHIVE_CONTAINER'],
    [{ RECORDING_STATE_CALLBACK_URL: 'http://example.com/cb' }, 'RECORDING_STATE_CALLBACK_URL'],
    [{ RECORDING_RETENTION_HOURS: '-1' }, 'RECORDING_RETENTION_HOURS'],
    [{ DELETE_SOURCE_AFTER_ARCHIVE: 'maybe' }, 'DELETE_SOURCE_AFTER_ARCHIVE'],
  ])('names the bad setting in %j', (override, setting) => {
    const error = configError({ ...base, ...override });
    expect(error.setting).toBe(setting);
    expect(error.message.startsWith(`${setting}:`)).toBe(true);
  });

  it.each([
    ['*.com', 'covers a whole top-level domain'],
    ['*.co.uk', "covers a whole country's public suffix"],
    ['*.blob.core.windows.net', 'covers blob.core.windows.net, where anyone can create a host'],
    ['*.core.windows.net', 'covers blob.core.windows.net'],
    ['*.windows.net', 'covers blob.core.windows.net'],
    ['*.azurewebsites.net', 'covers azurewebsites.net'],
    ['*.cloudapp.azure.com', 'covers cloudapp.azure.com'],
    ['*.azure.com', 'covers cloudapp.azure.com'],
  ])('refuses the wildcard %s over hosts anyone can create, naming ACS_DOWNLOAD_HOSTS', (entry, why) => {
    const error = configError({ ...base, ACS_DOWNLOAD_HOSTS: `files.contoso.net,${entry}` });
    expect(error.setting).toBe('ACS_DOWNLOAD_HOSTS');
    expect(error.message).toContain(why);
    expect(error.message).toContain('ACS credentials would go to hosts anyone can create');
  });

  it('takes a wildcard over a domain of its own, and an exact host on a shared domain', () => {
    const config = loadConfig({
      ...base,
      ACS_DOWNLOAD_HOSTS: '*.recordings.contoso.com,*.contoso.co.uk,myaccount.blob.core.windows.net',
    });
    expect(config.downloadHosts).toEqual(
      expect.arrayContaining(['*.recordings.contoso.com', '*.contoso.co.uk', 'myaccount.blob.core.windows.net']),
    );
  });

  it('reads extra download hosts and enum values case-insensitively', () => {
    const config = loadConfig({
      ...base,
      ACS_DOWNLOAD_HOSTS: '*.Example.com,files.contoso.net',
      ACS_RECORDING_API: 'Conversations',
    });
    expect(config.downloadHosts).toEqual(expect.arrayContaining(['*.example.com', 'files.contoso.net']));
    expect(config.acs.dialect).toBe('conversations');
  });
});

describe('loadConfig: senders, queue and recording combinations', () => {
  it('reads the resource ids, the OpenID configuration URL and the queue', () => {
    const config = loadConfig({
      ...base,
      ACS_RESOURCE_ID:
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-calls/providers/Microsoft.Communication/communicationServices/acs-calls',
      ACS_IMMUTABLE_RESOURCE_ID: 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE',
      AzureWebJobsStorage__accountName: 'stfuncruntime',
      AzureWebJobsStorage__clientId: '99999999-8888-7777-6666-555555555555',
      ARCHIVE_QUEUE: 'copies',
    });
    expect(config.senders).toEqual({
      acsResourceId:
        '/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-calls/providers/microsoft.communication/communicationservices/acs-calls',
      acsImmutableResourceId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      callbackOpenIdConfigUrl: new URL(
        'https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration',
      ),
      callbackAuth: 'jwt',
    });
    expect(loadConfig({ ...base, ACS_CALLBACK_AUTH: 'None' }).senders.callbackAuth).toBe('none');
    expect(configError({ ...base, ACS_CALLBACK_AUTH: 'off' }).setting).toBe('ACS_CALLBACK_AUTH');
    expect(config.queue).toEqual({
      name: 'copies',
      poisonName: 'copies-poison',
      storage: {
        kind: 'identity',
        url: new URL('https://stfuncruntime.queue.core.windows.net/'),
        clientId: '99999999-8888-7777-6666-555555555555',
      },
    });
  });

  it('defaults to archive-chunks and takes a connection string for the queue', () => {
    const config = loadConfig({ ...base, AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(config.queue).toEqual({
      name: 'archive-chunks',
      poisonName: 'archive-chunks-poison',
      storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
    });
    expect(loadConfig(base).queue.storage).toBeNull();
  });

  it.each([
    [{ RECORDING_CONTENT_TYPE: 'audio', RECORDING_FORMAT_TYPE: 'mp3' }, ['audio', 'mixed', 'mp3']],
    [{ RECORDING_CONTENT_TYPE: 'audio', RECORDING_FORMAT_TYPE: 'wav' }, ['audio', 'mixed', 'wav']],
    [
      { RECORDING_CONTENT_TYPE: 'audio', RECORDING_CHANNEL_TYPE: 'unmixed', RECORDING_FORMAT_TYPE: 'wav' },
      ['audio', 'unmixed', 'wav'],
    ],
  ])('accepts the combination %j', (override, [contentType, channelType, formatType]) => {
    expect(loadConfig({ ...base, ...override }).recording).toMatchObject({ contentType, channelType, formatType });
  });

  it.each([
    [{ RECORDING_FORMAT_TYPE: 'wav' }, 'RECORDING_FORMAT_TYPE'],
    [{ RECORDING_CONTENT_TYPE: 'audio' }, 'RECORDING_CONTENT_TYPE'],
    [{ RECORDING_CHANNEL_TYPE: 'unmixed' }, 'RECORDING_CHANNEL_TYPE'],
    [
      { RECORDING_CONTENT_TYPE: 'audio', RECORDING_CHANNEL_TYPE: 'unmixed', RECORDING_FORMAT_TYPE: 'mp3' },
      'RECORDING_FORMAT_TYPE',
    ],
  ])('refuses the impossible combination %j at start-up', (override, setting) => {
    const error = configError({ ...base, ...override });
    expect(error.setting).toBe(setting);
    expect(error.message).toContain('audioVideo mixed mp4, audio mixed mp3, audio mixed wav, audio unmixed wav');
  });

  it.each([
    [{ ACS_RESOURCE_ID: 'acs-calls' }, 'ACS_RESOURCE_ID'],
    [{ ACS_IMMUTABLE_RESOURCE_ID: 'not-a-guid' }, 'ACS_IMMUTABLE_RESOURCE_ID'],
    [{ ACS_CALLBACK_OPENID_CONFIG_URL: 'http://example.com/openid' }, 'ACS_CALLBACK_OPENID_CONFIG_URL'],
    [{ ARCHIVE_QUEUE: 'Archive_Chunks' }, 'ARCHIVE_QUEUE'],
    [{ AzureWebJobsStorage__accountName: 'Not-An-Account' }, 'AzureWebJobsStorage__accountName'],
  ])('names the bad setting in %j', (override, setting) => {
    expect(configError({ ...base, ...override }).setting).toBe(setting);
  });
});
