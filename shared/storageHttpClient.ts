import { pipeline, Readable, Transform } from 'node:stream';
import { createHttpHeaders, RestError, type HttpHeaders as CoreHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpHeaders, HttpOperationResponse, IHttpClient, WebResource } from '@azure/storage-blob';
import { Agent, request, type Dispatcher } from 'undici';

/**
 * The Storage SDK's transport on undici: the SDK still builds, signs, retries and parses every request (its retry
 * policy, shared-key or bearer auth, conditional headers, client request ids, XML); only the sending changes, from
 * node:http to one pooled undici Agent, the client the downloads already use. The SDK's `httpClient` option takes the
 * core-http (v1) shape, a WebResource in and an HttpOperationResponse out, and adapts it to core-rest-pipeline itself.
 * NOTE: https://github.com/Azure/azure-sdk-for-js/pull/24141 (storage-blob on core-rest-pipeline, "support for custom
 * HttpClient defined by consumer" through core-http-compat's convertHttpClient).
 *
 * Failures keep the meaning the SDK's retry policy gives them: a transport failure is a RestError with a code it
 * retries (REQUEST_SEND_ERROR, or the socket's own ECONNRESET...), a request timeout is TIMEOUT, and the caller's abort
 * is an AbortError, never retried. Proxies are not supported (storage.ts keeps the SDK's client when one is set).
 */

/** Node and undici error codes of a request that never got its answer: the SDK retries these. */
const TRANSPORT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** Codes the SDK's retry policy already knows by name; other transport codes become REQUEST_SEND_ERROR. */
const SDK_RETRIED_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export interface UndiciStorageClientOptions {
  /** Default: one Agent of this client, keep-alive, no limit of connections per origin (as node:http's agent). */
  dispatcher?: Dispatcher;
}

export class UndiciStorageClient implements IHttpClient {
  private readonly dispatcher: Dispatcher;

  constructor(options: UndiciStorageClientOptions = {}) {
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
  }

  async sendRequest(resource: WebResource): Promise<HttpOperationResponse> {
    const caller = resource.abortSignal;
    if (caller?.aborted) throw abortError();
    const controller = new AbortController();
    const forward = () => controller.abort(abortError());
    caller?.addEventListener('abort', forward);
    const detach = () => caller?.removeEventListener('abort', forward);
    const timer =
      resource.timeout > 0
        ? setTimeout(() => controller.abort(timeoutError(resource)), resource.timeout).unref()
        : undefined;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(resource.url, {
        method: resource.method,
        headers: resource.headers.rawHeaders(),
        body: bodyOf(resource),
        signal: controller.signal,
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      detach();
      throw failureOf(error, controller.signal, resource);
    } finally {
      // As the SDK's own client: the timeout covers the wait for the answer's headers, not the reading of its body.
      clearTimeout(timer);
    }
    const result: HttpOperationResponse = {
      request: resource,
      status: response.statusCode,
      headers: headersOf(response.headers),
    };
    reportUpload(resource);
    const codes = resource.streamResponseStatusCodes;
    if (resource.method !== 'HEAD' && (codes?.has(Number.POSITIVE_INFINITY) || codes?.has(response.statusCode))) {
      // The caller reads the body (a download): the abort stays wired until the body closes.
      response.body.once('close', detach);
      result.readableStreamBody = resource.onDownloadProgress
        ? counted(response.body, resource.onDownloadProgress)
        : response.body;
      return result;
    }
    try {
      const text = await response.body.text();
      if (resource.method !== 'HEAD') result.bodyAsText = text;
      resource.onDownloadProgress?.({ loadedBytes: Buffer.byteLength(text) });
      return result;
    } catch (error) {
      throw failureOf(error, controller.signal, resource);
    } finally {
      detach();
    }
  }
}

/** The request body as undici takes it: strings, bytes and streams as they are, a stream factory called. */
function bodyOf(resource: WebResource): Dispatcher.DispatchOptions['body'] {
  const body: unknown = typeof resource.body === 'function' ? (resource.body as () => unknown)() : resource.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  let stream: Readable | undefined;
  if (body instanceof Readable) stream = body;
  else if (body instanceof ReadableStream) stream = Readable.fromWeb(body as never);
  else if (body instanceof Blob) stream = Readable.fromWeb(body.stream() as never);
  if (!stream) throw new RestError('Unrecognized body type', { code: 'UNRECOGNIZED_BODY' });
  return resource.onUploadProgress ? counted(stream, resource.onUploadProgress) : stream;
}

/** Progress of a body sent whole (bytes or text): all of it once the answer came (streams count as they go). */
function reportUpload(resource: WebResource): void {
  const body: unknown = resource.body;
  if (!resource.onUploadProgress || (typeof body !== 'string' && !ArrayBuffer.isView(body))) return;
  resource.onUploadProgress({ loadedBytes: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength });
}

/** `stream` through a byte counter; an error of either ends both (pipeline), so a cut body never hangs a reader. */
function counted(stream: Readable, report: (progress: { loadedBytes: number }) => void): Readable {
  let loadedBytes = 0;
  const counter = new Transform({
    transform(piece: Buffer, _encoding, done) {
      loadedBytes += piece.length;
      report({ loadedBytes });
      done(null, piece);
    },
  });
  pipeline(stream, counter, () => undefined);
  return counter;
}

/** Response headers in the SDK's v1 shape; repeated headers joined as node:http joins them. */
function headersOf(raw: Record<string, string | string[] | undefined>): HttpHeaders {
  const headers = new CompatHeaders();
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

class CompatHeaders implements HttpHeaders {
  constructor(private readonly inner: CoreHttpHeaders = createHttpHeaders()) {}
  set(name: string, value: string | number): void {
    this.inner.set(name, value);
  }
  get(name: string): string | undefined {
    return this.inner.get(name);
  }
  contains(name: string): boolean {
    return this.inner.has(name);
  }
  remove(name: string): boolean {
    const had = this.inner.has(name);
    this.inner.delete(name);
    return had;
  }
  rawHeaders() {
    return this.inner.toJSON({ preserveCase: true });
  }
  headersArray() {
    return [...this.inner].map(([name, value]) => ({ name, value }));
  }
  headerNames(): string[] {
    return [...this.inner].map(([name]) => name);
  }
  headerValues(): string[] {
    return [...this.inner].map(([, value]) => value);
  }
  clone(): HttpHeaders {
    return new CompatHeaders(createHttpHeaders(this.rawHeaders()));
  }
  toJson(options?: { preserveCase?: boolean }) {
    return this.inner.toJSON(options);
  }
}

function abortError(): Error {
  const error = new Error('The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

function timeoutError(resource: WebResource): RestError {
  return new RestError(`${where(resource)}: no answer within ${resource.timeout} ms`, { code: 'TIMEOUT' });
}

/** What the SDK's policies expect of a failed send: AbortError, RestError TIMEOUT, or a retried transport code. */
function failureOf(error: unknown, signal: AbortSignal, resource: WebResource): Error {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason;
  const code = (error as { code?: unknown }).code;
  const text = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && TRANSPORT_CODES.has(code)) {
    return new RestError(`${where(resource)}: ${text} (${code})`, {
      code: SDK_RETRIED_CODES.has(code) ? code : RestError.REQUEST_SEND_ERROR,
    });
  }
  return new RestError(`${where(resource)}: ${text}`, { code: typeof code === 'string' ? code : undefined });
}

/**
 * Method and host for a message: never the query, which may carry a SAS; nor the path, since the SDK's retry policy
 * looks for words like TIMEOUT in the message and a blob name must not decide a retry.
 */
function where(resource: WebResource): string {
  return `${resource.method} ${new URL(resource.url).host}`;
}
