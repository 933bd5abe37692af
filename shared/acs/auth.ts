import type { TokenCredential } from '@azure/core-auth';
import type { AcsSettings } from '../config';
import { RetryableError } from '../errors';
import { signRequest } from './signing';
import { azureCredential } from '../credential';

/** Entra ID scope of ACS. NOTE: the double slash is what the service expects. */
export const ACS_TOKEN_SCOPE = 'https://communication.azure.com//.default';

/**
 * Produces the authentication headers of one request attempt. Each attempt is signed afresh: a retry that reuses an
 * old x-ms-date is refused once the service's clock-skew window passes.
 */
export interface AcsAuthenticator {
  /**
   * @param method HTTP method
   * @param pathAndQuery path and query of the URL the request is sent to
   * @param host host to sign (the ACS endpoint host, with a non-default port)
   * @param body request body bytes, if any
   */
  headers(
    method: string,
    pathAndQuery: string,
    host: string,
    body?: Uint8Array | string,
  ): Promise<Record<string, string>>;
}

export function createAcsAuthenticator(settings: AcsSettings, credential?: TokenCredential): AcsAuthenticator {
  const auth = settings.auth;
  if (auth.kind === 'key') {
    return {
      async headers(method, pathAndQuery, host, body) {
        return { ...signRequest({ method, pathAndQuery, host, body, accessKey: auth.accessKey, date: new Date() }) };
      },
    };
  }
  let tokenCredential = credential;
  return {
    async headers() {
      tokenCredential ??= azureCredential();
      let token;
      try {
        token = await tokenCredential.getToken(ACS_TOKEN_SCOPE);
      } catch (error) {
        throw new RetryableError(
          'TokenUnavailable',
          `Could not get a Microsoft Entra token for ACS (is the managed identity assigned and given a role on the Communication Services resource?): ${error instanceof Error ? error.name : 'error'}`,
          { cause: error },
        );
      }
      if (!token) throw new RetryableError('TokenUnavailable', 'Microsoft Entra returned no token for ACS');
      return { authorization: `Bearer ${token.token}`, 'x-ms-date': new Date().toUTCString() };
    },
  };
}
