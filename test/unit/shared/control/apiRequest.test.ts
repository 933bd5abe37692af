import { recordingsRouteOf, startRequestOf } from '../../../../shared/control/apiRequest';
import { PADDED_SERVER_CALL_ID, UNPADDED_SERVER_CALL_ID } from '../../../helpers/controlFixtures';

const route = (method: string, params: { serverCallId?: string; action?: string } = {}, more = {}) =>
  recordingsRouteOf({ method, params, ...more });

describe('recordingsRouteOf: the call in the query or the body', () => {
  it('starts with the call in the body (or the query)', () => {
    expect(route('POST', {}, { body: { serverCallId: PADDED_SERVER_CALL_ID } })).toEqual({
      kind: 'start',
      start: { locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID } },
    });
    expect(
      route('POST', {}, { query: { serverCallId: PADDED_SERVER_CALL_ID }, body: { operationContext: 'c' } }),
    ).toEqual({
      kind: 'start',
      start: { locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID }, operationContext: 'c' },
    });
  });

  it('reads and stops the call the query names', () => {
    expect(route('GET', {}, { query: { serverCallId: PADDED_SERVER_CALL_ID } })).toEqual({
      kind: 'get',
      callKey: PADDED_SERVER_CALL_ID,
    });
    expect(route('delete', {}, { query: { conversationId: UNPADDED_SERVER_CALL_ID } })).toEqual({
      kind: 'stop',
      callKey: UNPADDED_SERVER_CALL_ID,
    });
    const conversationUrl = 'https://skype.net/api/v2/cp/skype.net/conv/1PwvJ171dR?i=0&e=7577087579';
    expect(route('GET', {}, { query: { conversationUrl } })).toEqual({ kind: 'get', callKey: UNPADDED_SERVER_CALL_ID });
  });

  it('pauses, resumes and stops the call the body names (or the query)', () => {
    for (const action of ['pause', 'resume', 'stop', 'Stop']) {
      expect(route('POST', { serverCallId: action }, { body: { serverCallId: PADDED_SERVER_CALL_ID } })).toEqual({
        kind: action.toLowerCase(),
        callKey: PADDED_SERVER_CALL_ID,
      });
    }
    expect(route('POST', { serverCallId: 'pause' }, { query: { serverCallId: PADDED_SERVER_CALL_ID } })).toEqual({
      kind: 'pause',
      callKey: PADDED_SERVER_CALL_ID,
    });
  });

  it('refuses a call named twice, or not at all, naming the field', () => {
    const twice = () =>
      route('POST', { serverCallId: 'stop' }, { query: { serverCallId: 'a' }, body: { serverCallId: 'a' } });
    expect(twice).toThrow('name the call once: got serverCallId (query), serverCallId (body)');
    expect(twice).toThrow(expect.objectContaining({ field: 'serverCallId' }));
    expect(() => route('GET')).toThrow(expect.objectContaining({ field: 'serverCallId' }));
    expect(() => route('POST', { serverCallId: 'pause' })).toThrow(/serverCallId, conversationId or conversationUrl/);
    expect(() => route('POST', { serverCallId: 'pause' }, { body: [] })).toThrow(
      expect.objectContaining({ field: 'body' }),
    );
  });

  it('says what a space in a query id most likely was: an unencoded +', () => {
    expect(() => route('GET', {}, { query: { serverCallId: 'ab c==' } })).toThrow(
      "serverCallId must not contain spaces (a '+' in a query string reads as a space: percent-encode the id, '+' as %2B)",
    );
    expect(() => route('POST', {}, { body: { serverCallId: 'ab c==' } })).toThrow(
      'serverCallId must be printable ASCII without whitespace or control characters',
    );
  });

  it('names the methods each form takes', () => {
    expect(route('PUT')).toEqual({ kind: 'methodNotAllowed', allowed: ['GET', 'POST', 'DELETE'] });
    expect(route('GET', { serverCallId: 'pause' })).toEqual({ kind: 'methodNotAllowed', allowed: ['POST'] });
    expect(route('PUT', { serverCallId: 'abc' })).toEqual({ kind: 'methodNotAllowed', allowed: ['GET', 'DELETE'] });
    expect(route('GET', { serverCallId: 'abc', action: 'pause' })).toEqual({
      kind: 'methodNotAllowed',
      allowed: ['POST'],
    });
  });
});

describe('recordingsRouteOf: the older path forms, for ids without /', () => {
  it('maps them as before', () => {
    expect(route('GET', { serverCallId: UNPADDED_SERVER_CALL_ID })).toEqual({
      kind: 'get',
      callKey: UNPADDED_SERVER_CALL_ID,
    });
    expect(route('DELETE', { serverCallId: UNPADDED_SERVER_CALL_ID })).toEqual({
      kind: 'stop',
      callKey: UNPADDED_SERVER_CALL_ID,
    });
    expect(route('POST', { serverCallId: 'abc', action: 'Resume' })).toEqual({ kind: 'resume', callKey: 'abc' });
  });

  it('refuses the call named in the path and the query at once', () => {
    expect(() => route('GET', { serverCallId: 'abc' }, { query: { serverCallId: 'abc' } })).toThrow(
      expect.objectContaining({ field: 'serverCallId', message: expect.stringMatching(/^name the call once/) }),
    );
  });

  it('answers an unknown last segment as no such operation (404), saying where an id with / goes', () => {
    // In Azure `recordings/aHR0…ZFI%2FaT0w…==` arrives as two segments: this is what the function then sees.
    const [head, tail] = PADDED_SERVER_CALL_ID.split('/');
    for (const method of ['GET', 'POST', 'DELETE']) {
      expect(() => route(method, { serverCallId: head, action: tail })).toThrow(
        expect.objectContaining({ kind: 'notFound', code: 'NoSuchOperation' }),
      );
    }
    expect(() => route('POST', { serverCallId: 'abc', action: 'rew\r\nind' })).toThrow(
      "no operation 'rew??ind' on a recording (use pause or resume); a serverCallId holding '/' cannot be sent in the path",
    );
  });
});

describe('startRequestOf', () => {
  it('takes a serverCallId or a 2021 conversationId exactly as given', () => {
    expect(startRequestOf({ serverCallId: PADDED_SERVER_CALL_ID })).toEqual({
      locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID },
    });
    expect(startRequestOf({ conversationId: UNPADDED_SERVER_CALL_ID, operationContext: 'ctx-1' })).toEqual({
      locator: { kind: 'serverCallId', id: UNPADDED_SERVER_CALL_ID },
      operationContext: 'ctx-1',
    });
  });

  it('encodes a conversationUrl as base64url', () => {
    expect(
      startRequestOf({ conversationUrl: 'https://skype.net/api/v2/cp/skype.net/conv/1PwvJ171dR?i=0&e=7577087579' }),
    ).toEqual({ locator: { kind: 'serverCallId', id: UNPADDED_SERVER_CALL_ID } });
  });

  it.each([
    ['no body', undefined, 'body'],
    ['an array', [], 'body'],
    ['no id', {}, 'serverCallId'],
    ['two ids', { serverCallId: 'a', conversationId: 'b' }, 'conversationId'],
    ['a bad id', { serverCallId: 'a b' }, 'serverCallId'],
    ['a non-string operationContext', { serverCallId: 'a', operationContext: 5 }, 'operationContext'],
  ])('refuses %s, naming the field', (_name, body, field) => {
    expect(() => startRequestOf(body)).toThrow(expect.objectContaining({ field }));
  });
});
