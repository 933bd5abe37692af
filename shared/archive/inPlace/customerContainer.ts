import type { TokenCredential } from '@azure/core-auth';
import {
  AnonymousCredential,
  BlobClient,
  BlobServiceClient,
  ContainerClient,
  type StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { isLoopbackHost, type Config } from '../../config';
import { azureCredential } from '../../credential';
import { ConfigError } from '../../errors';

/**
 * The customer's own container (RECORDING_EXTERNAL_STORAGE_URL), where ACS writes a bring-your-own-storage
 * recording, read with the app's own identity: Microsoft Entra (`azureCredential()`, the managed identity in Azure)
 * for an https URL, which needs `Storage Blob Data Reader` on that container; for a plain-http loopback URL (Azurite,
 * only ever local) the account key of ARCHIVE_STORAGE_CONNECTION_STRING, which must name the same Azurite account.
 * Read only: the archiver never writes, renames or deletes anything there.
 */

const SETTING = 'RECORDING_EXTERNAL_STORAGE_URL';

export interface CustomerContainer {
  container: ContainerClient;
  /** The path under the container the URL names beyond the container itself ('' for a container URL). */
  prefix: string;
}

/** One client per URL and credential: every copier of the process shares its connections and token cache. */
const cached = new Map<string, CustomerContainer>();

/** The container RECORDING_EXTERNAL_STORAGE_URL names, or null when it is not set. Throws a ConfigError naming it. */
export function customerContainerFor(config: Pick<Config, 'recording' | 'storage'>): CustomerContainer | null {
  const setting = config.recording.externalStorageUrl;
  if (!setting) return null;
  const known = cached.get(setting);
  if (known) return known;
  const url = new URL(setting);
  const segments = url.pathname.split('/').filter(Boolean);
  // NOTE: Azurite (and any loopback host) addresses accounts by path, `/ACCOUNT/CONTAINER`; Azure by host name.
  const accountSegments = isLocal(url) ? 1 : 0;
  const container = segments[accountSegments];
  if (!container) throw new ConfigError(SETTING, 'names no container (…/CONTAINER)');
  const containerUrl = `${url.origin}/${segments.slice(0, accountSegments + 1).join('/')}`;
  const rest = segments.slice(accountSegments + 1).map(decodeURIComponent);
  const found = {
    container: new ContainerClient(containerUrl, credentialFor(url, config)),
    prefix: rest.length > 0 ? `${rest.join('/')}/` : '',
  };
  cached.set(setting, found);
  return found;
}

/**
 * A client for one blob of a customer's container, by the URL a manifest recorded for it (the CLI's `verify`): the
 * same credential as the archiver's, chosen by the URL.
 */
export function customerBlobClient(config: Pick<Config, 'storage'>, blobUrl: string): BlobClient {
  const url = new URL(blobUrl);
  if (url.search) throw new ConfigError(SETTING, 'a blob URL with a query is never used (it may carry a SAS)');
  return new BlobClient(url.href, credentialFor(url, config));
}

/** A blob's URL without any query (a SAS never reaches a manifest or a log). */
export function plainBlobUrl(container: ContainerClient, name: string): string {
  const url = new URL(container.getBlobClient(name).url);
  url.search = '';
  return url.href;
}

function isLocal(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

function credentialFor(
  url: URL,
  config: Pick<Config, 'storage'>,
): TokenCredential | StorageSharedKeyCredential | AnonymousCredential {
  if (!isLocal(url)) return azureCredential();
  const storage = config.storage;
  const service =
    storage.kind === 'connectionString' ? BlobServiceClient.fromConnectionString(storage.connectionString) : null;
  const account = service ? new URL(service.url) : null;
  const sameAccount =
    account !== null &&
    account.host === url.host &&
    url.pathname.startsWith(account.pathname.endsWith('/') ? account.pathname : `${account.pathname}/`);
  if (!service || !sameAccount) {
    throw new ConfigError(
      SETTING,
      `${url.origin}${url.pathname} is a local (Azurite) URL: it is read with the account key of ARCHIVE_STORAGE_CONNECTION_STRING, which must name the same account`,
    );
  }
  return service.credential;
}
