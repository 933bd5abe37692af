import { signRequest } from '../../../shared/acs/signing';
import { EMULATOR_ACCESS_KEY, type AcsEmulator } from '../../../dev/emulator';

/** A request signed as our product signs it (for the ACS endpoint host), sent to any of the emulator's ports. */
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
  const signed = signRequest({
    method,
    pathAndQuery: target.pathname + target.search,
    host: init.signedHost ?? endpointHost,
    body: init.body,
    accessKey: Buffer.from(init.accessKey ?? EMULATOR_ACCESS_KEY, 'base64'),
    date: init.date ?? new Date(),
  });
  const headers: Record<string, string> = { ...signed, ...init.headers };
  if (init.xMsHost !== null) headers['x-ms-host'] = init.xMsHost ?? endpointHost;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  init.tamper?.(headers);
  return fetch(url, { method, headers, body: init.sentBody ?? init.body, redirect: 'manual' });
}
