import type { IncomingMessage, ServerResponse } from 'node:http';
import { gaError, headerValue, sendJson } from './httpHelpers';
import type { RequestLogEntry } from './records';
import type { EmulatorState } from './state';
import { authSchemeOf, verifyAcsRequest } from './verifyAcsRequest';

/** The request log every host writes (tests read it), and the one authentication gate in front of ACS routes. */

/** Logs a request and keeps its entry's status current. Credentials are never logged, only their scheme. */
export function logRequest(
  state: EmulatorState,
  port: RequestLogEntry['port'],
  req: IncomingMessage,
  res: ServerResponse,
): RequestLogEntry {
  const range = headerValue(req.headers, 'range');
  const xMsHost = headerValue(req.headers, 'x-ms-host');
  const requestId = headerValue(req.headers, 'repeatability-request-id');
  const firstSent = headerValue(req.headers, 'repeatability-first-sent');
  const entry: RequestLogEntry = {
    port,
    method: (req.method ?? 'GET').toUpperCase(),
    path: req.url ?? '/',
    status: 0,
    bytesSent: 0,
    authorized: false,
    auth: authSchemeOf(headerValue(req.headers, 'authorization')),
    ...(range ? { range } : {}),
    ...(xMsHost ? { xMsHost } : {}),
    ...(requestId ? { repeatabilityRequestId: requestId } : {}),
    ...(firstSent ? { repeatabilityFirstSent: firstSent } : {}),
  };
  state.requests.push(entry);
  res.on('close', () => (entry.status ||= res.statusCode));
  const originalWriteHead = res.writeHead.bind(res);
  res.writeHead = (status: number, ...rest: never[]) => {
    entry.status = status;
    return originalWriteHead(status, ...rest);
  };
  return entry;
}

/**
 * Authenticates a request to an ACS route; answers 401 (with the reason, as the service's error shape) and returns
 * false when it fails. `signedHost` is the host the signature must name: the endpoint's own, also on the storage
 * hosts, which moreover require `x-ms-host` to name the endpoint. `refuse`, when given, answers the 401 instead (the
 * recorded store's empty one).
 */
export function authorize(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  body: Buffer,
  signedHost: string,
  refuse?: (res: ServerResponse) => void,
): boolean {
  const endpointHost = state.addresses.endpointHost;
  const verdict =
    entry.port !== 'endpoint' && entry.xMsHost !== endpointHost
      ? { ok: false as const, reason: `x-ms-host must be the ACS endpoint host '${endpointHost}'.` }
      : verifyAcsRequest({
          method: entry.method,
          pathAndQuery: entry.path,
          headers: req.headers,
          body,
          host: signedHost,
          accessKey: state.settings.accessKey,
          maxClockSkewMs: state.settings.maxClockSkewMs,
          entraTokens: state.settings.entraTokens,
        });
  if (verdict.ok) {
    entry.authorized = true;
    return true;
  }
  entry.authFailure = verdict.reason;
  if (refuse) {
    refuse(res);
    return false;
  }
  const scheme = entry.auth === 'bearer' ? 'Bearer' : 'HMAC-SHA256';
  sendJson(res, 401, gaError('Unauthorized', `Denied by the emulator's ${scheme} verification: ${verdict.reason}`), {
    'www-authenticate': scheme,
  });
  return false;
}
