import type { TokenCredential } from '@azure/core-auth';

/**
 * The one Microsoft Entra credential of the process (managed identity in Azure, the developer's sign-in locally),
 * per user-assigned identity client id (none: the system-assigned identity or whatever DefaultAzureCredential finds).
 * One instance per identity, so every client shares its token cache.
 */
const credentials = new Map<string, TokenCredential>();

export function azureCredential(managedIdentityClientId: string | null = null): TokenCredential {
  const key = managedIdentityClientId ?? '';
  let credential = credentials.get(key);
  if (!credential) {
    // NOTE: required on first use, not at cold start: key-based (local) runs never load @azure/identity.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
    credential = new DefaultAzureCredential(managedIdentityClientId ? { managedIdentityClientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}
