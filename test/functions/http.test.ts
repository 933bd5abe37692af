import { HttpRequest } from '@azure/functions';
import { readJsonBody, responseForError, responseForRequestError, methodNotAllowed } from '../../functions/http';
import { BadInputError, ConflictError, NotFoundError, PermanentError, RetryableError } from '../../shared/errors';

function post(body: string): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://localhost/api/x', body: { string: body } });
}

describe('functions/http', () => {
  it.each([
    [new BadInputError('serverCallId is required', 'serverCallId'), 400],
    [new NotFoundError('no such call'), 404],
    [new ConflictError('stopped'), 409],
    [new PermanentError('AcsRejected', 'x'), 502],
    [new RetryableError('AcsUnavailable', 'x'), 503],
  ])('maps %p to its status', (error, status) => {
    const response = responseForError(error);
    expect(response.status).toBe(status);
    expect(response.jsonBody).toMatchObject({ error: { code: error.code } });
  });

  it('never shows the message of an unclassified error', () => {
    const response = responseForError(new Error('https://x/?sig=SECRET at Object.<anonymous>'));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.jsonBody)).not.toContain('SECRET');
  });

  it('names the allowed methods on 405', () => {
    const response = methodNotAllowed('PUT', ['GET', 'POST']);
    expect(response.status).toBe(405);
    expect(response.headers).toMatchObject({ Allow: 'GET, POST' });
  });

  it('parses JSON, refuses non-JSON with 400 and oversized bodies with 413', async () => {
    await expect(readJsonBody(post('{"a":1}'))).resolves.toEqual({ a: 1 });
    await expect(readJsonBody(post(''))).resolves.toBeUndefined();
    const notJson = await readJsonBody(post('{nope')).catch((e: unknown) => e);
    expect(responseForRequestError(notJson).status).toBe(400);
    const big = await readJsonBody(post('"' + 'x'.repeat(100) + '"'), 10).catch((e: unknown) => e);
    expect(responseForRequestError(big).status).toBe(413);
  });
});
