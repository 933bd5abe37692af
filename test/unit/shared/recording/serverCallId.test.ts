import {
  callIdFromRouteValue,
  parseServerCallId,
  serverCallIdFromConversationUrl,
} from '../../../../shared/recording/serverCallId';
import { BadInputError } from '../../../../shared/errors';

// The serverCallId of the 2025-06-15 StartRecording REST example (Azure/azure-rest-api-specs,
// specification/communication/data-plane/CallAutomation/stable/2025-06-15/examples/CallRecording_StartRecording.json):
// standard base64 with '/' and '=' padding.
const PADDED = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
// The same bytes in base64url without padding.
const UNPADDED = 'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI_aT0wJmU9NzU3NzA4NzU3OQ';

describe('parseServerCallId', () => {
  it.each([[PADDED], [UNPADDED], ['Y3NVcmw'], ['a+b/c=='], ['x'], ['%41']])('takes %s exactly as given', (id) => {
    expect(parseServerCallId(id)).toBe(id);
  });

  it('accepts 1024 characters and refuses 1025', () => {
    expect(parseServerCallId('A'.repeat(1024))).toHaveLength(1024);
    expect(() => parseServerCallId('A'.repeat(1025))).toThrow('serverCallId is longer than 1024 characters');
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['a number', 42],
    ['a space', 'abc def'],
    ['CR/LF', 'abc\r\ndef'],
    ['an escape code', 'abc\u001b[31mdef'],
    ['a tab', 'abc\tdef'],
    ['a non-ASCII letter', 'abcé'],
    ['DEL', 'abc\u007f'],
  ])('refuses %s with a BadInputError naming the field, never echoing the value', (_name, value) => {
    let caught: unknown;
    try {
      parseServerCallId(value, 'conversationId');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BadInputError);
    expect(caught).toMatchObject({ field: 'conversationId' });
    if (typeof value === 'string' && value.length > 0) expect((caught as Error).message).not.toContain(value);
  });
});

describe('serverCallIdFromConversationUrl', () => {
  it('encodes the URL as base64url without padding (the only id the product encodes)', () => {
    expect(
      serverCallIdFromConversationUrl('https://skype.net/api/v2/cp/skype.net/conv/1PwvJ171dR?i=0&e=7577087579'),
    ).toBe(UNPADDED);
  });

  it('refuses what is not an http(s) URL, and a URL too long to give a bounded id', () => {
    expect(() => serverCallIdFromConversationUrl('nope')).toThrow('conversationUrl is not an absolute URL');
    expect(() => serverCallIdFromConversationUrl('ftp://x/y')).toThrow('conversationUrl must be an http(s) URL');
    expect(() => serverCallIdFromConversationUrl(`https://x/${'a'.repeat(800)}`)).toThrow(/too long/);
  });
});

describe('callIdFromRouteValue', () => {
  it('decodes what the Functions host (ASP.NET Core) leaves encoded: %2F', () => {
    // The caller sent aHR0...ZFI%2FaT0w...OQ%3D%3D; ASP.NET Core routing decoded %3D but kept %2F.
    const asTheRealHostGivesIt =
      'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI%2FaT0wJmU9NzU3NzA4NzU3OQ==';
    expect(callIdFromRouteValue(asTheRealHostGivesIt)).toBe(PADDED);
    expect(callIdFromRouteValue(asTheRealHostGivesIt.replace('%2F', '%2f'))).toBe(PADDED);
  });

  it('leaves a fully decoded value (the local host) as it is, including a literal percent sign', () => {
    expect(callIdFromRouteValue(PADDED)).toBe(PADDED);
    expect(callIdFromRouteValue(UNPADDED)).toBe(UNPADDED);
    expect(callIdFromRouteValue('100%25')).toBe('100%25');
    expect(callIdFromRouteValue('a%41b')).toBe('a%41b');
  });

  it('refuses a missing or unprintable value, naming the field', () => {
    expect(() => callIdFromRouteValue(undefined)).toThrow(expect.objectContaining({ field: 'serverCallId' }));
    expect(() => callIdFromRouteValue('a b')).toThrow(expect.objectContaining({ field: 'serverCallId' }));
  });
});
