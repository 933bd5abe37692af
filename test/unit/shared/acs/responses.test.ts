import { RetryableError } from '../../../../shared/errors';
import { framingOf, retryAfter } from '../../../../shared/acs/responses';
import { recordedAnswers, RECORDED_DOWNLOAD, RECORDED_REDIRECT } from '../../../helpers/recordedAnswers';

/** How the store's answers are read, on the answers Microsoft's SDK tests recorded from it. */

const framing = (statusCode: number, headers: Record<string, string>) =>
  framingOf({ statusCode, headers }, 'store/v1/objects/doc');

function refusal(statusCode: number, headers: Record<string, string>): RetryableError {
  try {
    framing(statusCode, headers);
  } catch (error) {
    expect(error).toBeInstanceOf(RetryableError);
    return error as RetryableError;
  }
  throw new Error('expected a refusal');
}

describe('framingOf', () => {
  it('reads the recorded full GET: 200 with Content-Length and Content-Range, no ETag', () => {
    const [answer] = recordedAnswers(RECORDED_DOWNLOAD);
    expect(answer).toMatchObject({
      status: 200,
      headers: { 'content-range': 'bytes 0-63/64', 'content-length': '64' },
    });
    expect(answer!.headers.etag).toBeUndefined();
    expect(framing(answer!.status, answer!.headers)).toEqual({ start: 0, totalSize: 64 });
    const regional = recordedAnswers(RECORDED_REDIRECT).find((a) => a.status === 200)!;
    expect(framing(regional.status, regional.headers)).toEqual({ start: 0, totalSize: 62 });
  });

  it('takes the total of Content-Range when a 200 has no Content-Length', () => {
    const { 'content-length': _length, ...headers } = recordedAnswers(RECORDED_DOWNLOAD)[0]!.headers;
    expect(framing(200, headers)).toEqual({ start: 0, totalSize: 64 });
  });

  it('accepts a chunked body with neither: no declared size, what arrives is the file', () => {
    expect(framing(200, { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' })).toEqual({
      start: 0,
      totalSize: null,
    });
  });

  it('refuses what cannot be verified or holds nothing', () => {
    expect(refusal(200, { 'content-type': 'application/octet-stream' }).code).toBe('NoContentLength');
    expect(refusal(200, { 'content-length': '0' }).code).toBe('EmptyBody');
    expect(refusal(200, { 'content-range': 'bytes 0-0/0', 'transfer-encoding': 'chunked' }).code).toBe('EmptyBody');
    expect(refusal(206, { 'content-length': '10' }).code).toBe('BadContentRange');
  });

  it('reads a 206 by its Content-Range', () => {
    expect(framing(206, { 'content-range': 'bytes 1048575-2097161/2097162', 'content-length': '1048587' })).toEqual({
      start: 1048575,
      totalSize: 2097162,
    });
  });
});

describe('retryAfter', () => {
  const now = Date.parse('Tue, 12 Oct 2021 17:25:35 GMT'); // the recorded redirect's Date
  it('reads delay-seconds and an HTTP-date (RFC 9110), never a negative delay', () => {
    expect(retryAfter('2', now)).toBe(2000);
    expect(retryAfter('Tue, 12 Oct 2021 17:25:45 GMT', now)).toBe(10_000);
    expect(retryAfter('Tue, 12 Oct 2021 17:25:00 GMT', now)).toBe(0);
    expect(retryAfter('soon', now)).toBeUndefined();
    expect(retryAfter(null, now)).toBeUndefined();
  });
});
