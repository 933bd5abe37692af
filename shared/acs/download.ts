import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { RetryableError } from '../errors';
import { chunkLocationRefusal, deleteLocationRefusal, locationRefusal } from './allowList';
import type { AcsAuthenticator } from './auth';
import { discard, failureOf, framingOf, header, type BodyFraming } from './responses';
import { DeleteRefusedError, LocationRefusedError } from './sourceErrors';

export { discard, header, retryAfter } from './responses';
export { AccessDeniedError, DeleteRefusedError, LocationRefusedError, SourceExpiredError } from './sourceErrors';

/**
 * Signed, allow-listed requests to the recording store. Requests are signed as if sent to the ACS
 * endpoint (host = the endpoint's host, path and query of the location, plus `x-ms-host`), and sent to the location;
 * redirects are followed and signed again, each hop checked exactly as the first location was (a redirect must not
 * aim a signed request anywhere the location itself could not). Every failure is classified: 404 and 410 are
 * permanent (expired), a refused location is permanent, everything else is retryable.
 */

export interface SourceClientOptions {
  endpoint: URL;
  /** Which paths of the endpoint are download paths: the 2021 ones only in the conversations dialect (default calling). */
  dialect?: 'calling' | 'conversations';
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
  /**
   * The whole file's size as the source declares it (Content-Length, or the total of Content-Range); null for a body
   * sent chunked with neither: it is complete when its chunked message ends, and its size is what arrived.
   */
  totalSize: number | null;
  /** The version of the file, when the source sends an ETag. */
  etag: string | null;
  contentType: string | null;
  body: Readable;
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
      (documentId === undefined
        ? null
        : chunkLocationRefusal(url, documentId, {
            endpointHost: this.endpointHost,
            dialect: this.options.dialect ?? 'calling',
          }));
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
    let framing: BodyFraming;
    try {
      framing = framingOf(response, what);
    } catch (error) {
      discard(response.body);
      throw error;
    }
    const { start: bodyStart, totalSize } = framing;
    if (bodyStart !== start && bodyStart !== 0) {
      discard(response.body);
      throw new RetryableError('BadContentRange', `${what} answered bytes from ${bodyStart}, asked from ${start}`);
    }
    const etag = header(response, 'etag');
    return { status: response.statusCode, start: bodyStart, totalSize, etag, contentType, body: response.body };
  }

  /**
   * DELETE at the chunk's deleteLocation; a 404 or 410 counts as done. Refused without a request (DeleteRefusedError) unless
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
    const gone = response.statusCode === 404 || response.statusCode === 410;
    if (gone || (response.statusCode >= 200 && response.statusCode < 300)) {
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

/** A location for logs and errors: host and path, never the query (it may carry a signature). */
export function redactUrl(location: string): string {
  try {
    const url = new URL(location);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'an invalid location';
  }
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
