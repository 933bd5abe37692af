import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { RetryableError } from '../errors';
import { safeText } from '../text';
import { AccessDeniedError, SourceExpiredError } from './sourceErrors';

/**
 * Reading the recording store's answers as it really sends them (Microsoft's recorded SDK tests, azure-sdk-for-js
 * sdk/communication/communication-callingserver/recordings/): a full GET is `200` with `Content-Range` and
 * `Content-Length`, `application/octet-stream` and no ETag; a 401 has an empty body or an `application/problem+json`
 * one (Azure/azure-sdk-for-js#26142).
 */

type Response = Pick<Dispatcher.ResponseData, 'statusCode' | 'headers'>;

/** Where a body starts in the file and how big the file is; `totalSize` null: unknown, whatever arrives is it. */
export interface BodyFraming {
  start: number;
  totalSize: number | null;
}

/**
 * The framing of a 200/206 answer. The declared size is `Content-Length`, else the total of `Content-Range`; a body
 * sent chunked with neither has no declared size (its chunked framing says where it ends, so a cut is seen). Anything
 * else whose size cannot be verified is a RetryableError.
 */
export function framingOf(response: Response, what: string): BodyFraming {
  const length = numberHeader(response, 'content-length');
  const range = contentRange(header(response, 'content-range'));
  if (length === 0) throw new RetryableError('EmptyBody', `${what} answered ${response.statusCode} with an empty body`);
  if (response.statusCode === 206) {
    if (!range) throw new RetryableError('BadContentRange', `${what} answered 206 without a usable Content-Range`);
    return { start: range.start, totalSize: range.total };
  }
  const totalSize = length ?? range?.total ?? null;
  if (totalSize === 0)
    throw new RetryableError('EmptyBody', `${what} answered ${response.statusCode} with an empty body`);
  if (totalSize === null && !/(^|,)\s*chunked\s*$/i.test(header(response, 'transfer-encoding') ?? '')) {
    throw new RetryableError(
      'NoContentLength',
      `${what} answered without Content-Length, Content-Range or chunked framing; the size cannot be verified`,
    );
  }
  return { start: 0, totalSize };
}

function contentRange(value: string | null): { start: number; total: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value?.trim() ?? '');
  return match ? { start: Number(match[1]), total: Number(match[3]) } : null;
}

/** The error a non-2xx answer stands for; the body is consumed (for a 401/403, read for what ACS said). */
export async function failureOf(response: Dispatcher.ResponseData, what: string): Promise<Error> {
  const status = response.statusCode;
  if (status === 401 || status === 403) return new AccessDeniedError(status, what, await deniedDetail(response));
  await response.body.dump().catch(() => undefined);
  if (status === 404 || status === 410) return new SourceExpiredError(what, status);
  if (status === 416) return new RetryableError('RangeNotSatisfiable', `${what} refused the byte range (416)`);
  const retryAfterMs = retryAfter(header(response, 'retry-after'));
  return new RetryableError(`Http${status}`, `${what} answered ${status}`, { retryAfterMs });
}

const MAX_ERROR_BODY = 4096;

/**
 * What a refusal says, for the operator: an `application/problem+json` body's title and traceId (what support asks
 * for), or ACS's `{error: {code, message}}`; undefined for an empty body (the store's usual 401) or anything else.
 */
async function deniedDetail(response: Dispatcher.ResponseData): Promise<string | undefined> {
  if (!/json/i.test(header(response, 'content-type') ?? '')) {
    await response.body.dump().catch(() => undefined);
    return undefined;
  }
  let text = '';
  try {
    for await (const piece of response.body as AsyncIterable<Buffer>) {
      text += piece.toString('utf8');
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    return undefined;
  } finally {
    discard(response.body);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const error = (body.error ?? body) as Record<string, unknown>;
  const said = [error.title ?? error.code, error.message]
    .filter((v, i, all) => typeof v === 'string' && v !== '' && all.indexOf(v) === i)
    .join(': ');
  const traceId = typeof body.traceId === 'string' ? `traceId ${body.traceId}` : '';
  return safeText([said, traceId].filter(Boolean).join(', '), 300) || undefined;
}

/** Drops a body we will not read; a late error from it has no one left to tell. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** A response header's (first) value. */
export function header(response: Pick<Dispatcher.ResponseData, 'headers'>, name: string): string | null {
  const value = response.headers[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function numberHeader(response: Pick<Dispatcher.ResponseData, 'headers'>, name: string): number | null {
  const value = header(response, name);
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** Retry-After in milliseconds: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3); undefined when absent. */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
