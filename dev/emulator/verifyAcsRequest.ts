import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue as header } from './httpHelpers';

/**
 * Checks a request's ACS authentication the way the service does: HMAC-SHA256 over
 * `METHOD\npathAndQuery\ndate;host;contentHash` with the base64-decoded access key, the content hash matching the
 * body, and the date inside a clock-skew window. `Authorization: Bearer <token>` (Microsoft Entra ID) passes only
 * with a token the emulator was told to accept (`entraTokens`): there is no identity provider to validate it against
 * locally, and accepting any token would let a product test of Entra mode pass whatever it sends.
 */

export interface VerifyInput {
  method: string;
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The host the signature must cover (the ACS endpoint host, with its port). */
  host: string;
  accessKey: Buffer;
  maxClockSkewMs: number;
  /** Bearer tokens to accept; default none. */
  entraTokens?: ReadonlySet<string>;
  now?: Date;
}

export type AuthScheme = 'hmac' | 'bearer' | 'none' | 'other';

export type VerifyResult = { ok: true; scheme: AuthScheme } | { ok: false; scheme: AuthScheme; reason: string };

const HMAC_PATTERN = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/;

/** The scheme of an Authorization header, for the request log (the credential itself is never logged). */
export function authSchemeOf(authorization: string | undefined): AuthScheme {
  if (!authorization) return 'none';
  if (/^HMAC-SHA256 /i.test(authorization)) return 'hmac';
  if (/^Bearer /i.test(authorization)) return 'bearer';
  return 'other';
}

export function verifyAcsRequest(input: VerifyInput): VerifyResult {
  const authorization = header(input.headers, 'authorization');
  const scheme = authSchemeOf(authorization);
  const refuse = (reason: string): VerifyResult => ({ ok: false, scheme, reason });
  if (!authorization) return refuse('The request has no Authorization header.');
  if (scheme === 'bearer') return verifyBearer(authorization.slice('Bearer '.length).trim(), input.entraTokens);
  const match = HMAC_PATTERN.exec(authorization);
  if (!match) return refuse('The Authorization header is neither HMAC-SHA256 nor Bearer.');
  const signedHeaders = match[1]!.toLowerCase().split(';');
  const signature = match[2]!;
  if (signedHeaders.join(';') !== 'x-ms-date;host;x-ms-content-sha256') {
    return refuse(`Unsupported SignedHeaders '${match[1]}'.`);
  }
  const date = header(input.headers, 'x-ms-date') ?? header(input.headers, 'date');
  if (!date) return refuse('The request has no x-ms-date header.');
  const sent = Date.parse(date);
  if (Number.isNaN(sent)) return refuse('The x-ms-date header is not a valid date.');
  const skew = Math.abs((input.now ?? new Date()).getTime() - sent);
  if (skew > input.maxClockSkewMs) return refuse('The request date is outside the allowed clock skew.');
  const declaredHash = header(input.headers, 'x-ms-content-sha256');
  const actualHash = createHash('sha256').update(input.body).digest('base64');
  if (declaredHash !== actualHash) return refuse('x-ms-content-sha256 does not match the body.');
  const toSign = `${input.method.toUpperCase()}\n${input.pathAndQuery}\n${date};${input.host};${actualHash}`;
  const expected = createHmac('sha256', input.accessKey).update(toSign, 'utf8').digest();
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('The signature does not match.');
  }
  return { ok: true, scheme };
}

function verifyBearer(token: string, accepted: ReadonlySet<string> | undefined): VerifyResult {
  if (!accepted || accepted.size === 0) {
    return {
      ok: false,
      scheme: 'bearer',
      reason: 'Bearer tokens are refused: this emulator accepts none (start it with entraTokens, or addEntraToken).',
    };
  }
  const given = createHash('sha256').update(token).digest();
  for (const candidate of accepted) {
    if (timingSafeEqual(given, createHash('sha256').update(candidate).digest())) return { ok: true, scheme: 'bearer' };
  }
  return { ok: false, scheme: 'bearer', reason: 'The bearer token is not one this emulator accepts (entraTokens).' };
}
