import { createHash, createHmac } from 'node:crypto';

/**
 * ACS access-key request signing (HMAC-SHA256): x-ms-content-sha256 of the body, and the signature over
 * `METHOD\npathAndQuery\ndate;host;contentHash`, host with its port when not the default. Pure: the caller passes the date.
 * NOTE: `host` is the host as it appears in the Host header, with the port when it is not the default one; for
 * downloads it is the ACS endpoint's host, not the storage host the request goes to (see shared/acs/download.ts).
 */

export interface SignInput {
  method: string;
  /** Path and query exactly as sent, e.g. `/calling/recordings?api-version=2025-06-15`. */
  pathAndQuery: string;
  host: string;
  body?: Uint8Array | string;
  accessKey: Buffer;
  date: Date;
}

export interface SignedHeaders {
  'x-ms-date': string;
  'x-ms-content-sha256': string;
  authorization: string;
}

export function contentHash(body: Uint8Array | string | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('base64');
}

function stringToSign(method: string, pathAndQuery: string, date: string, host: string, hash: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${date};${host};${hash}`;
}

export function signRequest(input: SignInput): SignedHeaders {
  const date = input.date.toUTCString();
  const hash = contentHash(input.body);
  const signature = createHmac('sha256', input.accessKey)
    .update(stringToSign(input.method, input.pathAndQuery, date, input.host, hash), 'utf8')
    .digest('base64');
  return {
    'x-ms-date': date,
    'x-ms-content-sha256': hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}
