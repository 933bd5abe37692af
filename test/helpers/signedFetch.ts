import { createHash, createHmac } from 'node:crypto';
import { EMULATOR_ACCESS_KEY, type AcsEmulator } from '../../dev/emulator';

/**
 * A request signed for the ACS endpoint host, sent to any of the emulator's ports. The signature is made here from
 * the documented algorithm (Learn "Sign an HTTP request with HMAC": string to sign
 * `METHOD\npathAndQuery\ndate;host;contentHash`, HMAC-SHA256 with the base64-decoded key), not with the product's
 * signer: the emulator is tested against the documentation, and the official client covers the rest.
 */
export async function signedFetch(
  emulator: AcsEmulator,
  url: string,
  init: {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    accessKey?: string;
    date?: Date;
    signedHost?: string;
    xMsHost?: string | null;
    tamper?: (headers: Record<string, string>) => void;
    /** Sent instead of `body` (which is what was signed). */
    sentBody?: string;
  } = {},
): Promise<Response> {
  const target = new URL(url);
  const endpointHost = new URL(emulator.endpoint).host;
  const method = init.method ?? 'GET';
  const date = (init.date ?? new Date()).toUTCString();
  const hash = createHash('sha256')
    .update(init.body ?? '')
    .digest('base64');
  const toSign = `${method}\n${target.pathname}${target.search}\n${date};${init.signedHost ?? endpointHost};${hash}`;
  const signature = createHmac('sha256', Buffer.from(init.accessKey ?? EMULATOR_ACCESS_KEY, 'base64'))
    .update(toSign, 'utf8')
    .digest('base64');
  const headers: Record<string, string> = {
    'x-ms-date': date,
    'x-ms-content-sha256': hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    ...init.headers,
  };
  if (init.xMsHost !== null) headers['x-ms-host'] = init.xMsHost ?? endpointHost;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  init.tamper?.(headers);
  return fetch(url, { method, headers, body: init.sentBody ?? init.body, redirect: 'manual' });
}

/** A GA control request to the emulator's endpoint (path relative to it). */
export function control(
  emulator: AcsEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<Response> {
  return signedFetch(emulator, `${emulator.endpoint}${path.replace(/^\//, '')}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers,
    xMsHost: null,
  });
}
