import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { PermanentError, RetryableError } from '../errors';
import { chunkLocationRefusal, deleteLocationRefusal, locationRefusal } from './allowList';
import type { AcsAuthenticator } from './auth';

/**
 * Signed, allow-listed requests to the recording store. Requests are signed as if sent to the ACS
 * endpoint (host = the endpoint's host, path and query of the location, plus `x-ms-host`), and sent to the location;
 * redirects are followed and signed again, each hop checked exactly as the first location was (a redirect must not
 * aim a signed request anywhere the location itself could not). Every failure is classified: 404 is permanent
 * (expired), a refused location is permanent, everything else is retryable.
 */

export interface SourceClientOptions {
  endpoint: URL;
  auth: AcsAuthenticator;
  allowedHosts: readonly string[];
  dispatcher?: Dispatcher;
  maxRedirects?: number;
}

export interface OpenedDownload {
  /** 200, or 206 when a range was asked for and honoured. */
  status: number;
  /** The first byte offset of `body`. */
  start: number;
  /** The whole file's size as the source declares it (Content-Length, or the total of Content-Range). */
  totalSize: number;
  /** The version of the file, when the source sends an ETag. */
  etag: string | null;
  contentType: string | null;
  body: Readable;
}

/** The permanent refusal of a location outside the allow-list; no request was made. */
export class LocationRefusedError extends PermanentError {
  constructor(reason: string) {
    super('LocationRefused', `download refused before any request: ${reason}`);
  }
}

/** A deleteLocation that does not belong to its chunk; no request was made. */
export class DeleteRefusedError extends PermanentError {
  constructor(reason: string) {
    super('DeleteRefused', `delete refused before any request: ${reason}`);
  }
}

/**
 * 401/403 from ACS (its control API or its recording store): a wrong key, a missing or not yet propagated role
 * assignment, or a skewed clock. Retryable (role assignments take minutes to propagate, and the event that asked for
 * the work must come again rather than be dropped), and worth an alert when it lasts. `detail`: what ACS said, for
 * the operator's log only.
 */
export class AccessDeniedError extends RetryableError {
  constructor(
    readonly status: number,
    what: string,
    detail?: string,
  ) {
    super(
      'AcsAccessDenied',
      `${what} refused the request (${status}${detail ? `; ${detail}` : ''}): check the access key, or the managed identity's role on the Communication Services resource`,
    );
  }
}

export class SourceExpiredError extends PermanentError {
  constructor(what: string) {
    super('SourceExpired', `${what} is gone from the recording store (404): its retention time has passed`);
  }
}

let sharedAgent: Agent | undefined;
function defaultDispatcher(): Agent {
  // NOTE: bodyTimeout turns a stalled transfer into an error that is retried from the last staged byte.
  sharedAgent ??= new Agent({
    connectTimeout: 15_000,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
    keepAliveTimeout: 10_000,
  });
  return sharedAgent;
}

export class SourceClient {
  private readonly endpointHost: string;
  private readonly dispatcher: Dispatcher;
  private readonly maxRedirects: number;

  constructor(private readonly options: SourceClientOptions) {
    this.endpointHost = options.endpoint.host;
    this.dispatcher = options.dispatcher ?? defaultDispatcher();
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  /**
   * Throws LocationRefusedError when the location may not be fetched (a host outside the allow-list; with
   * `documentId`, a path that does not name that chunk's document); makes no request.
   */
  checkLocation(location: string, documentId?: string): URL {
    const url = parsed(location, LocationRefusedError);
    const refusal =
      locationRefusal(url, this.options.allowedHosts) ??
      (documentId === undefined ? null : chunkLocationRefusal(url, documentId));
    if (refusal) throw new LocationRefusedError(refusal);
    return url;
  }

  /**
   * Opens the file at `location` from byte `start`. The caller must consume or destroy `body`. With `documentId`,
   * every redirect hop must name that chunk's document too (checkLocation).
   */
  async open(location: string, start = 0, signal?: AbortSignal, documentId?: string): Promise<OpenedDownload> {
    const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
    const response = await this.send('GET', location, headers, signal, (hop) => this.checkLocation(hop, documentId));
    const what = redactUrl(location);
    if (response.statusCode !== 200 && response.statusCode !== 206) {
      throw await failureOf(response, what);
    }
    const contentType = header(response, 'content-type');
    if (contentType?.toLowerCase().startsWith('text/html')) {
      discard(response.body);
      throw new RetryableError(
        'UnexpectedHtml',
        `${what} answered ${response.statusCode} with an HTML page instead of the file`,
      );
    }
    const length = numberHeader(response, 'content-length');
    let totalSize: number;
    let bodyStart = 0;
    if (response.statusCode === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header(response, 'content-range') ?? '');
      if (!range) {
        discard(response.body);
        throw new RetryableError('BadContentRange', `${what} answered 206 without a usable Content-Range`);
      }
      bodyStart = Number(range[1]);
      totalSize = Number(range[3]);
    } else {
      if (length === null) {
        discard(response.body);
        throw new RetryableError(
          'NoContentLength',
          `${what} answered without Content-Length; the size cannot be verified`,
        );
      }
      totalSize = length;
    }
    if (length === 0 || totalSize === 0) {
      discard(response.body);
      throw new RetryableError('EmptyBody', `${what} answered ${response.statusCode} with an empty body`);
    }
    if (bodyStart !== start && bodyStart !== 0) {
      discard(response.body);
      throw new RetryableError('BadContentRange', `${what} answered bytes from ${bodyStart}, asked from ${start}`);
    }
    const etag = header(response, 'etag');
    return { status: response.statusCode, start: bodyStart, totalSize, etag, contentType, body: response.body };
  }

  /**
   * DELETE at the chunk's deleteLocation; a 404 counts as done. Refused without a request (DeleteRefusedError) unless
   * the location, and every redirect hop, is `/v1/objects/{documentId}…` on an allowed storage host, never the ACS
   * endpoint: a hop to `{endpoint}/calling/recordings/{id}` would otherwise get a validly signed DELETE that stops a
   * recording.
   */
  async delete(location: string, documentId: string, signal?: AbortSignal): Promise<void> {
    const response = await this.send('DELETE', location, {}, signal, (hop) => {
      const url = parsed(hop, DeleteRefusedError);
      const refusal =
        deleteLocationRefusal(url, documentId, this.endpointHost) ?? locationRefusal(url, this.options.allowedHosts);
      if (refusal) throw new DeleteRefusedError(refusal);
      return url;
    });
    if (response.statusCode === 404 || (response.statusCode >= 200 && response.statusCode < 300)) {
      await response.body.dump();
      return;
    }
    throw await failureOf(response, redactUrl(location));
  }

  /** Sends the request, following redirects; `check` vets the location and every hop before anything is signed. */
  private async send(
    method: string,
    location: string,
    extra: Record<string, string>,
    signal: AbortSignal | undefined,
    check: (location: string) => URL,
  ): Promise<Dispatcher.ResponseData> {
    let url = check(location);
    for (let hop = 0; ; hop++) {
      const pathAndQuery = url.pathname + url.search;
      const auth = await this.options.auth.headers(method, pathAndQuery, this.endpointHost);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method,
          headers: { ...auth, 'x-ms-host': this.endpointHost, ...extra },
          dispatcher: this.dispatcher,
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new RetryableError('NetworkError', `${method} ${redactUrl(url.href)} failed: ${errorCode(error)}`, {
          cause: error,
        });
      }
      const redirect = response.statusCode >= 300 && response.statusCode < 400 ? header(response, 'location') : null;
      if (!redirect) return response;
      await response.body.dump();
      if (hop >= this.maxRedirects) {
        throw new RetryableError(
          'TooManyRedirects',
          `${redactUrl(location)} redirected more than ${this.maxRedirects} times`,
        );
      }
      url = check(new URL(redirect, url).href);
    }
  }
}

/** An absolute URL, or the refusal `Refused` of anything else (no request is made). */
function parsed(location: string, Refused: new (reason: string) => Error): URL {
  try {
    return new URL(location);
  } catch {
    throw new Refused('not an absolute URL');
  }
}

async function failureOf(response: Dispatcher.ResponseData, what: string): Promise<Error> {
  const status = response.statusCode;
  await response.body.dump().catch(() => undefined);
  if (status === 404 || status === 410) return new SourceExpiredError(what);
  const retryAfterMs = retryAfter(header(response, 'retry-after'));
  if (status === 401 || status === 403) return new AccessDeniedError(status, what);
  if (status === 416) return new RetryableError('RangeNotSatisfiable', `${what} refused the byte range (416)`);
  return new RetryableError(`Http${status}`, `${what} answered ${status}`, { retryAfterMs });
}

/** Drops a body we will not read; a late error from it has no one left to tell. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** A location for logs and errors: host and path, never the query (it may carry a signature). */
export function redactUrl(location: string): string {
  try {
    const url = new URL(location);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'an invalid location';
  }
}

/** A response header's (first) value. */
export function header(response: Pick<Dispatcher.ResponseData, 'headers'>, name: string): string | null {
  const value = response.headers[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function numberHeader(response: Dispatcher.ResponseData, name: string): number | null {
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

/** A network error's code (ECONNRESET, UND_ERR_SOCKET, ...) for a message: never its text, which can hold a URL. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'network error';
}
