import { HttpRequest } from '@azure/functions';
import { answerFailure, methodNotAllowed, readJsonBody, responseFor } from '../../../functions/http';
import { AccessDeniedError } from '../../../shared/acs/download';
import {
  BadInputError,
  ConfigError,
  ConflictError,
  NotFoundError,
  PermanentError,
  RetryableError,
} from '../../../shared/errors';
import { CallerRefusedError } from '../../../shared/security/callerRefused';
import { CapturedLog } from '../../helpers/logs';

function post(body: string): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://localhost/api/x', body: { string: body } });
}

/** A chunked body (no Content-Length) of `chunks` pieces of `size` bytes that counts how much was pulled from it. */
function countingBody(
  chunks: number,
  size: number,
): { request: Pick<HttpRequest, 'headers' | 'body'>; pulled: () => number } {
  let pulled = 0;
  let left = chunks;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left-- <= 0) return controller.close();
      pulled += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
  return { request: { headers: new Headers(), body: body as HttpRequest['body'] }, pulled: () => pulled };
}

describe('responseFor', () => {
  it.each([
    [new BadInputError('serverCallId is required', 'serverCallId'), 400, 'BadInput', 'serverCallId is required'],
    [
      new BadInputError('body is larger than 10 bytes', 'body', 'PayloadTooLarge'),
      413,
      'PayloadTooLarge',
      'body is larger than 10 bytes',
    ],
    [
      new NotFoundError('No recording is known for call x', 'CallNotFound'),
      404,
      'CallNotFound',
      'No recording is known for call x',
    ],
    [
      new ConflictError('the recording is stopped; it cannot pause'),
      409,
      'Conflict',
      'the recording is stopped; it cannot pause',
    ],
    [
      new CallerRefusedError(403, 'ForeignTopic', 'comes from another resource', 'topic'),
      403,
      'ForeignTopic',
      'comes from another resource',
    ],
  ])('answers %p with %i and its own message', (error, status, code, message) => {
    expect(responseFor(error)).toMatchObject({ status, jsonBody: { error: { code, message } } });
  });

  it('answers a missing or bad token with 401 and a Bearer challenge', () => {
    const response = responseFor(new CallerRefusedError(401, 'MissingToken', 'no token', 'Authorization'));
    expect(response).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      jsonBody: { error: { code: 'MissingToken', message: 'no token' } },
    });
  });

  it('never echoes the text of a retryable or permanent failure (it may be ACS or SDK text)', () => {
    const acsText = 'start recording: ACS answered 500 (Internal detail: tenant 1234, node xyz)';
    expect(responseFor(new RetryableError('AcsUnavailable', acsText))).toEqual({
      status: 503,
      jsonBody: { error: { code: 'AcsUnavailable', message: 'Temporarily unavailable; retry later' } },
      headers: { 'Content-Type': 'application/json', 'Retry-After': '5' },
    });
    expect(responseFor(new AccessDeniedError(403, acsText))).toMatchObject({
      status: 503,
      jsonBody: { error: { code: 'AcsAccessDenied', message: 'Temporarily unavailable; retry later' } },
    });
    expect(responseFor(new PermanentError('AcsBadRequest', acsText))).toMatchObject({
      status: 502,
      jsonBody: {
        error: { code: 'AcsBadRequest', message: 'Azure Communication Services refused the request; see the app logs' },
      },
    });
  });

  it('passes on how long ACS asked to wait', () => {
    const response = responseFor(new RetryableError('AcsUnavailable', 'x', { retryAfterMs: 30_000 }));
    expect(response.headers).toMatchObject({ 'Retry-After': '30' });
  });

  it('hides configuration and unclassified errors', () => {
    expect(responseFor(new ConfigError('ACS_CONNECTION_STRING', 'missing'))).toMatchObject({
      status: 500,
      jsonBody: { error: { code: 'InvalidSetting', message: 'The function app is misconfigured; see its logs' } },
    });
    const response = responseFor(new Error('https://x/?sig=SECRET at Object.<anonymous>'));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.jsonBody)).not.toContain('SECRET');
  });
});

describe('answerFailure', () => {
  it('logs a refused request as RequestRejected, without control characters', () => {
    const log = new CapturedLog();
    answerFailure('callEvents', new BadInputError('data.serverCallId must be printable\r\nforged', 'x'), log);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        text: 'RequestRejected {"endpoint":"callEvents","status":400,"failureCode":"BadInput","reason":"data.serverCallId must be printable??forged"}',
      },
    ]);
  });

  it('logs a failure of ours as an error line', () => {
    const log = new CapturedLog();
    answerFailure('recordings', new RetryableError('StorageUnavailable', 'Control store unavailable (503)'), log);
    expect(log.lines).toEqual([
      { level: 'error', text: 'recordings: answered 503 (StorageUnavailable): Control store unavailable (503)' },
    ]);
  });
});

describe('methodNotAllowed', () => {
  it('names the allowed methods', () => {
    expect(methodNotAllowed('PUT', ['GET', 'POST'])).toMatchObject({
      status: 405,
      headers: { Allow: 'GET, POST' },
      jsonBody: { error: { code: 'MethodNotAllowed', message: 'PUT is not allowed here; use GET, POST' } },
    });
  });
});

describe('readJsonBody', () => {
  it('parses JSON; an empty body is undefined; non-JSON is 400 naming body', async () => {
    await expect(readJsonBody(post('{"a":1}'))).resolves.toEqual({ a: 1 });
    await expect(readJsonBody(post(''))).resolves.toBeUndefined();
    await expect(readJsonBody(post('{nope'))).rejects.toMatchObject({ code: 'BadInput', field: 'body' });
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const request = { headers: new Headers({ 'content-length': '5242880' }), body: null };
    await expect(readJsonBody(request)).rejects.toMatchObject({ code: 'PayloadTooLarge' });
  });

  it('stops reading a chunked 5 MiB body at the limit (413), never reading it whole', async () => {
    const { request, pulled } = countingBody(80, 64 * 1024); // 80 x 64 KiB = 5 MiB, no Content-Length
    await expect(readJsonBody(request)).rejects.toMatchObject({ code: 'PayloadTooLarge' });
    // 1 MiB is 16 chunks; the 17th crosses the limit. A stream may pull one chunk ahead.
    expect(pulled()).toBeLessThanOrEqual(18 * 64 * 1024);
    expect(pulled()).toBeGreaterThan(1024 * 1024);
  });

  it('reads a body of exactly the limit', async () => {
    const { request } = countingBody(16, 64 * 1024);
    // 1 MiB of spaces is read whole (exactly the limit is allowed) and is an empty body.
    await expect(readJsonBody(request)).resolves.toBeUndefined();
  });

  it('refuses a body that is not UTF-8', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://x/',
      body: { bytes: new Uint8Array([0x22, 0xff, 0x22]) },
    });
    await expect(readJsonBody(request)).rejects.toMatchObject({ message: 'body is not UTF-8 text', field: 'body' });
  });
});
