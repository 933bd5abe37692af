import { recordingsRouteOf, startRequestOf } from '../../../../shared/control/apiRequest';
import { PADDED_SERVER_CALL_ID, UNPADDED_SERVER_CALL_ID } from '../../../helpers/controlFixtures';

describe('recordingsRouteOf', () => {
  it('maps methods and routes to operations', () => {
    expect(recordingsRouteOf('POST', {})).toEqual({ kind: 'start' });
    expect(recordingsRouteOf('GET', { serverCallId: PADDED_SERVER_CALL_ID })).toEqual({
      kind: 'get',
      callKey: PADDED_SERVER_CALL_ID,
    });
    expect(recordingsRouteOf('delete', { serverCallId: UNPADDED_SERVER_CALL_ID })).toEqual({
      kind: 'stop',
      callKey: UNPADDED_SERVER_CALL_ID,
    });
    expect(recordingsRouteOf('POST', { serverCallId: PADDED_SERVER_CALL_ID, action: 'pause' })).toEqual({
      kind: 'pause',
      callKey: PADDED_SERVER_CALL_ID,
    });
    expect(recordingsRouteOf('POST', { serverCallId: 'abc', action: 'Resume' })).toEqual({
      kind: 'resume',
      callKey: 'abc',
    });
  });

  it('decodes the %2F the Functions host leaves in the route value', () => {
    const routeValue =
      'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI%2FaT0wJmU9NzU3NzA4NzU3OQ==';
    expect(recordingsRouteOf('GET', { serverCallId: routeValue })).toEqual({
      kind: 'get',
      callKey: PADDED_SERVER_CALL_ID,
    });
  });

  it('names the allowed methods, and refuses an unknown action without echoing control characters', () => {
    expect(recordingsRouteOf('GET', {})).toEqual({ kind: 'methodNotAllowed', allowed: ['POST'] });
    expect(recordingsRouteOf('PUT', { serverCallId: 'abc' })).toEqual({
      kind: 'methodNotAllowed',
      allowed: ['GET', 'DELETE'],
    });
    expect(recordingsRouteOf('GET', { serverCallId: 'abc', action: 'pause' })).toEqual({
      kind: 'methodNotAllowed',
      allowed: ['POST'],
    });
    expect(() => recordingsRouteOf('POST', { serverCallId: 'abc', action: 'rew\r\nind' })).toThrow(
      "unknown action 'rew??ind': use pause or resume",
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
