import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { AppError, BadInputError } from '../shared/errors';

/** JSON bodies larger than this are refused with 413 before parsing. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Content-Type': 'application/json', ...headers } };
}

export function errorResponse(status: number, code: string, message: string): HttpResponseInit {
  return jsonResponse(status, { error: { code, message } });
}

export function methodNotAllowed(method: string, allowed: readonly string[]): HttpResponseInit {
  return {
    ...errorResponse(405, 'MethodNotAllowed', `${method} is not allowed here; use ${allowed.join(', ')}`),
    headers: { 'Content-Type': 'application/json', Allow: allowed.join(', ') },
  };
}

/**
 * Maps any thrown value to an HTTP error response. Only our own classified errors contribute their message (they
 * are written to be safe to show); anything else becomes a generic 502/500 so that no stack trace or SDK message
 * (which may echo a signed URL) reaches a caller.
 */
export function responseForError(error: unknown): HttpResponseInit {
  if (error instanceof AppError) {
    switch (error.kind) {
      case 'badInput':
        return errorResponse(400, error.code, error.message);
      case 'notFound':
        return errorResponse(404, error.code, error.message);
      case 'conflict':
        return errorResponse(409, error.code, error.message);
      case 'retryable':
        return errorResponse(503, error.code, 'A dependency is temporarily unavailable; retry later');
      case 'permanent':
        return errorResponse(502, error.code, 'Azure Communication Services refused the request');
      case 'config':
        return errorResponse(500, error.code, 'The function app is misconfigured; see its logs');
    }
  }
  return errorResponse(500, 'InternalError', 'Unexpected error; see the function app logs');
}

/**
 * Reads a JSON body with a size limit. An empty body is `undefined` (callers decide whether that is allowed);
 * too large -> BadInputError code 'PayloadTooLarge' (see statusForBodyError), not JSON -> BadInputError 'body'.
 */
export async function readJsonBody(request: HttpRequest, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw tooLarge(maxBytes);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadInputError('body is not valid JSON', 'body');
  }
}

function tooLarge(maxBytes: number): BadInputError {
  return new BadInputError(`body is larger than ${maxBytes} bytes`, 'body', 'PayloadTooLarge');
}

/** responseForError, with 413 for an oversized body. */
export function responseForRequestError(error: unknown): HttpResponseInit {
  if (error instanceof BadInputError && error.code === 'PayloadTooLarge') {
    return errorResponse(413, error.code, error.message);
  }
  return responseForError(error);
}
