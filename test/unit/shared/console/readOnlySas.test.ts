import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { readOnlyBlobUrl, SAS_LIFETIME_MS } from '../../../../shared/console';

/** The signed URL's scope and lifetime, read from the URL itself (its use against Azurite is an integration test). */
describe('the read-only chunk URL', () => {
  const credential = new StorageSharedKeyCredential('account', Buffer.from('key').toString('base64'));
  const service = new BlobServiceClient('https://account.blob.core.windows.net', credential);

  it('reads one blob, for five minutes', async () => {
    const now = new Date('2026-05-12T10:00:00Z');
    const { url, expiresOn } = await readOnlyBlobUrl(service, 'recordings', 'c/k/chunk-0000.wav', now);
    const parsed = new URL(url);
    expect(parsed.pathname).toBe('/recordings/c/k/chunk-0000.wav');
    expect(parsed.searchParams.get('sp')).toBe('r');
    expect(parsed.searchParams.get('sr')).toBe('b');
    expect(parsed.searchParams.get('se')).toBe('2026-05-12T10:05:00Z');
    expect(expiresOn).toBe('2026-05-12T10:05:00.000Z');
    expect(SAS_LIFETIME_MS).toBe(300_000);
  });
});
