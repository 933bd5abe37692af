import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checks a request's ACS authentication the way the service does (SPEC section 2): HMAC-SHA256 over
 * `METHOD\npathAndQuery\ndate;host;contentHash` with the base64-decoded access key, the content hash matching the
 * body, and the date inside a clock-skew window. `Authorization: Bearer <token>` (Entra) is accepted as is: there
 * is no identity provider to validate it against locally.
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
  now?: Date;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

const HMAC_PATTERN = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/;

export function verifyAcsRequest(input: VerifyInput): VerifyResult {
  const authorization = header(input.headers, 'authorization');
  if (!authorization) return { ok: false, reason: 'The request has no Authorization header.' };
  if (/^Bearer \S+/.test(authorization)) return { ok: true };
  const match = HMAC_PATTERN.exec(authorization);
  if (!match) return { ok: false, reason: 'The Authorization header is neither HMAC-SHA256 nor Bearer.' };
  const signedHeaders = match[1]!.toLowerCase().split(';');
  const signature = match[2]!;
  if (signedHeaders.join(';') !== 'x-ms-date;host;x-ms-content-sha256') {
    return { ok: false, reason: `Unsupported SignedHeaders '${match[1]}'.` };
  }
  const date = header(input.headers, 'x-ms-date') ?? header(input.headers, 'date');
  if (!date) return { ok: false, reason: 'The request has no x-ms-date header.' };
  const sent = Date.parse(date);
  if (Number.isNaN(sent)) return { ok: false, reason: 'The x-ms-date header is not a valid date.' };
  const skew = Math.abs((input.now ?? new Date()).getTime() - sent);
  if (skew > input.maxClockSkewMs) return { ok: false, reason: 'The request date is outside the allowed clock skew.' };
  const declaredHash = header(input.headers, 'x-ms-content-sha256');
  const actualHash = createHash('sha256').update(input.body).digest('base64');
  if (declaredHash !== actualHash) return { ok: false, reason: 'x-ms-content-sha256 does not match the body.' };
  const toSign = `${input.method.toUpperCase()}\n${input.pathAndQuery}\n${date};${input.host};${actualHash}`;
  const expected = createHmac('sha256', input.accessKey).update(toSign, 'utf8').digest();
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'The signature does not match.' };
  }
  return { ok: true };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
