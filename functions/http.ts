import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { AppError, BadInputError, RetryableError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { CallerRefusedError } from '../shared/security';
import { logEvent } from '../shared/telemetry';
import { safeText } from '../shared/text';

/** JSON bodies larger than this are refused with 413, without reading past it. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Content-Type': 'application/json', ...headers } };
}

function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return jsonResponse(status, { error: { code, message } }, headers);
}

export function methodNotAllowed(method: string, allowed: readonly string[]): HttpResponseInit {
  return errorResponse(
    405,
    'MethodNotAllowed',
    `${method.slice(0, 10)} is not allowed here; use ${allowed.join(', ')}`,
    {
      Allow: allowed.join(', '),
    },
  );
}

/**
 * The one mapping of a failure to an HTTP answer, for every HTTP function. Only messages the product writes for the
 * caller are shown (bad input, not found, conflict, refused caller: they name the field and echo input only through
 * safeText); retryable and permanent failures get a fixed message, since theirs may hold ACS's or an SDK's own text.
 * The statuses follow what Event Grid and Call Automation do with them: 400/401/403/404/413 are never retried, 5xx are.
 */
export function responseFor(error: unknown): HttpResponseInit {
  if (error instanceof CallerRefusedError) {
    return errorResponse(
      error.status,
      error.code,
      error.message,
      error.status === 401 ? { 'WWW-Authenticate': 'Bearer error="invalid_token"' } : {},
    );
  }
  if (error instanceof AppError) {
    switch (error.kind) {
      case 'badInput':
        return error.code === 'PayloadTooLarge'
          ? errorResponse(413, error.code, error.message)
          : errorResponse(400, error.code, error.message);
      case 'notFound':
        return errorResponse(404, error.code, error.message);
      case 'conflict':
        return errorResponse(409, error.code, error.message);
      case 'retryable': {
        const waitMs = (error instanceof RetryableError ? error.retryAfterMs : undefined) ?? 5_000;
        return errorResponse(503, error.code, 'Temporarily unavailable; retry later', {
          'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))),
        });
      }
      case 'permanent':
        return errorResponse(502, error.code, 'Azure Communication Services refused the request; see the app logs');
      case 'config':
        return errorResponse(500, error.code, 'The function app is misconfigured; see its logs');
    }
  }
  return errorResponse(500, 'InternalError', 'Unexpected error; see the function app logs');
}

/**
 * Reads a JSON body, counting bytes as they stream and stopping at `maxBytes` (413): a chunked body without a
 * Content-Length is never read whole first. An empty body is `undefined` (the caller decides whether that is
 * allowed); not UTF-8 JSON -> 400 naming `body`.
 */
export async function readJsonBody(
  request: Pick<HttpRequest, 'headers' | 'body'>,
  maxBytes = MAX_JSON_BODY_BYTES,
): Promise<unknown> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return undefined;
  const reader = request.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  let bytes = 0;
  const decode = (piece?: Uint8Array): string => {
    try {
      return piece ? decoder.decode(piece, { stream: true }) : decoder.decode();
    } catch {
      throw new BadInputError('body is not UTF-8 text', 'body');
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      text += decode(value);
    }
    text += decode();
  } finally {
    reader.releaseLock();
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadInputError('body is not valid JSON', 'body');
  }
}

/**
 * A query parameter as the caller sent it, percent-decoded once; undefined when absent. Read from the raw URL, not
 * URLSearchParams: a query reads '+' as a space, and an id like `…+…==` sent unencoded would silently name another
 * call (or, for a participant id such as `4:+14255550123`, another person). So a raw '+' is refused, naming the field;
 * so is a parameter given twice. The message never echoes the value.
 */
export function queryValue(request: Pick<HttpRequest, 'url'>, name: string): string | undefined {
  const raw = new URL(request.url).search.slice(1);
  const values: string[] = [];
  for (const pair of raw ? raw.split('&') : []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (decodedKey(key) === name) values.push(eq < 0 ? '' : pair.slice(eq + 1));
  }
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new BadInputError(`give ${name} once in the query`, name);
  if (values[0]!.includes('+')) {
    throw new BadInputError(
      `${name} holds a '+', which a query string reads as a space: ` +
        "percent-encode the value (encodeURIComponent; '+' is %2B)",
      name,
    );
  }
  return decodeQueryPart(values[0]!, name);
}

/** A parameter name as a query encodes it ('+' a space); one that does not decode is nobody's. */
function decodedKey(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function decodeQueryPart(text: string, name: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadInputError(`${name} is not correctly percent-encoded in the query`, name);
  }
}

function tooLarge(maxBytes: number): BadInputError {
  return new BadInputError(`body is larger than ${maxBytes} bytes`, 'body', 'PayloadTooLarge');
}

/**
 * responseFor(error), with the one log line an operator needs: `RequestRejected` for a refused request (4xx; the
 * sender must change something), an error line for a failure of ours or of a dependency (5xx; retried).
 */
export function answerFailure(endpoint: string, error: unknown, log: Logger): HttpResponseInit {
  const response = responseFor(error);
  const status = response.status ?? 500;
  const code = error instanceof AppError ? error.code : 'InternalError';
  const message = error instanceof Error ? error.message : 'non-error thrown';
  if (status < 500) {
    logEvent(log, 'warn', 'RequestRejected', { endpoint, status, failureCode: code, reason: message });
  } else {
    log.error(`${endpoint}: answered ${status} (${code}): ${safeText(message, 300)}`);
  }
  return response;
}
