import {
  BlobSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
} from '@azure/storage-blob';

/**
 * A read-only URL for one blob, valid for SAS_LIFETIME_MS: a user-delegation SAS in Azure (the app's identity needs
 * Storage Blob Delegator on the account and read on the container; the account accepts no keys), an account-key SAS
 * where the client holds a key (Azurite locally). Single blob (`sr=b`), read only (`sp=r`), HTTPS only in Azure.
 * The token is handed to the browser and nowhere else: it is never logged.
 */

export const SAS_LIFETIME_MS = 5 * 60_000;
/** A start a little in the past, so a browser whose clock is behind the storage's still plays at once. */
const CLOCK_SKEW_MS = 60_000;

export interface SignedBlobUrl {
  url: string;
  expiresOn: string;
}

export async function readOnlyBlobUrl(
  service: BlobServiceClient,
  containerName: string,
  blobName: string,
  now: Date,
): Promise<SignedBlobUrl> {
  const startsOn = new Date(now.getTime() - CLOCK_SKEW_MS);
  const expiresOn = new Date(now.getTime() + SAS_LIFETIME_MS);
  const values = {
    containerName,
    blobName,
    permissions: BlobSASPermissions.parse('r'),
    startsOn,
    expiresOn,
  };
  const blobUrl = service.getContainerClient(containerName).getBlobClient(blobName).url;
  const credential = service.credential;
  let query: string;
  if (credential instanceof StorageSharedKeyCredential) {
    query = generateBlobSASQueryParameters(values, credential).toString();
  } else {
    // NOTE: the delegation key lives no longer than the SAS, so a leaked key is as short-lived as the URL.
    const key = await service.getUserDelegationKey(startsOn, expiresOn);
    query = generateBlobSASQueryParameters(
      { ...values, protocol: SASProtocol.Https },
      key,
      service.accountName,
    ).toString();
  }
  return { url: `${blobUrl}?${query}`, expiresOn: expiresOn.toISOString() };
}
