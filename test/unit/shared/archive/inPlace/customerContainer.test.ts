import { StorageSharedKeyCredential } from '@azure/storage-blob';
import {
  customerBlobClient,
  customerContainerFor,
  plainBlobUrl,
} from '../../../../../shared/archive/inPlace/customerContainer';
import type { Config } from '../../../../../shared/config';
import { ConfigError } from '../../../../../shared/errors';

/** Azurite's published development account (learn.microsoft.com, "Use the Azurite emulator": well-known key). */
const AZURITE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

function config(
  externalStorageUrl: string | undefined,
  storage: Config['storage'],
): Pick<Config, 'recording' | 'storage'> {
  return {
    recording: {
      contentType: 'audio',
      channelType: 'mixed',
      formatType: 'mp3',
      pauseOnStart: false,
      ...(externalStorageUrl ? { externalStorageUrl } : {}),
    },
    storage,
  };
}
const identity: Config['storage'] = { kind: 'identity', url: new URL('https://archive.blob.core.windows.net/') };
const azurite: Config['storage'] = { kind: 'connectionString', connectionString: AZURITE };

describe("the customer's container (RECORDING_EXTERNAL_STORAGE_URL)", () => {
  it('is none when the setting is not set', () => {
    expect(customerContainerFor(config(undefined, identity))).toBeNull();
  });

  it('is the container an https URL names, reached with the app identity; a deeper path is a prefix under it', () => {
    const plain = customerContainerFor(config('https://contoso.blob.core.windows.net/recordings', identity))!;
    expect(plain.container.containerName).toBe('recordings');
    expect(plain.container.url).toBe('https://contoso.blob.core.windows.net/recordings');
    expect(plain.prefix).toBe('');
    expect(plain.container.credential).not.toBeInstanceOf(StorageSharedKeyCredential);
    const deeper = customerContainerFor(
      config('https://contoso.blob.core.windows.net/recordings/acs/exports', identity),
    )!;
    expect(deeper.container.containerName).toBe('recordings');
    expect(deeper.prefix).toBe('acs/exports/');
  });

  it('is reached locally (Azurite, plain http on loopback) with the key of ARCHIVE_STORAGE_CONNECTION_STRING', () => {
    const local = customerContainerFor(config('http://127.0.0.1:10000/devstoreaccount1/byos-recordings', azurite))!;
    expect(local.container.containerName).toBe('byos-recordings');
    expect(local.container.credential).toBeInstanceOf(StorageSharedKeyCredential);
    expect(plainBlobUrl(local.container, '20210727/call/eyJQ/bGF0-guid/0-audiomp3.doc.mp3')).toBe(
      'http://127.0.0.1:10000/devstoreaccount1/byos-recordings/20210727/call/eyJQ/bGF0-guid/0-audiomp3.doc.mp3',
    );
  });

  it('refuses a local URL that the archive connection string cannot reach, naming the setting', () => {
    const other = () => customerContainerFor(config('http://127.0.0.1:10000/otheraccount/byos', azurite));
    expect(other).toThrow(ConfigError);
    expect(other).toThrow(/^RECORDING_EXTERNAL_STORAGE_URL: .*ARCHIVE_STORAGE_CONNECTION_STRING/);
    expect(() => customerContainerFor(config('http://127.0.0.1:10000/devstoreaccount1/byos-x', identity))).toThrow(
      /ARCHIVE_STORAGE_CONNECTION_STRING, which must name the same account/,
    );
    expect(() => customerContainerFor(config('http://127.0.0.1:10000/devstoreaccount1', azurite))).toThrow(
      /names no container/,
    );
  });

  it('never uses a blob URL that carries a query (a SAS)', () => {
    expect(() =>
      customerBlobClient({ storage: identity }, 'https://contoso.blob.core.windows.net/recordings/a.mp3?sig=x'),
    ).toThrow(/never used/);
    const client = customerBlobClient({ storage: azurite }, 'http://127.0.0.1:10000/devstoreaccount1/byos/a.mp3');
    expect(client.url).toBe('http://127.0.0.1:10000/devstoreaccount1/byos/a.mp3');
  });
});
