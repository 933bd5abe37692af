import {
  conversationUrlFromServerCallId,
  parseServerCallId,
  serverCallIdFromConversationUrl,
} from '../../../shared/acs/serverCallId';
import { BadInputError } from '../../../shared/errors';

// A conversation URL whose plain base64 holds '+', '/' and '=' (chosen so the two encodings differ).
const conversationUrl = 'https://apac-api.asm.skype.com/v1/conversations/a1?i=10&e=637??>>';

describe('serverCallId', () => {
  it('encodes a conversation URL as base64url without padding', () => {
    const id = serverCallIdFromConversationUrl(conversationUrl);
    expect(id).toBe(Buffer.from(conversationUrl).toString('base64url'));
    expect(id).not.toMatch(/[+/=]/);
    expect(conversationUrlFromServerCallId(id)).toBe(conversationUrl);
  });

  it('accepts a valid id unchanged', () => {
    const id = serverCallIdFromConversationUrl('https://x.asm.skype.com/v1/conversations/abc');
    expect(parseServerCallId(id)).toBe(id);
  });

  it('rejects plain base64 with an explanation naming the field', () => {
    const plain = Buffer.from(conversationUrl).toString('base64');
    expect(plain).toMatch(/[+/=]/);
    expect(() => parseServerCallId(plain)).toThrow(/base64url/);
    let caught: unknown;
    try {
      parseServerCallId(plain, 'conversationId');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BadInputError);
    expect(caught).toMatchObject({ field: 'conversationId' });
  });

  it.each([[undefined], [''], [42], ['not*base64'], ['a'], [Buffer.from('hello world').toString('base64url')]])(
    'rejects %p',
    (value) => {
      expect(() => parseServerCallId(value)).toThrow(BadInputError);
    },
  );

  it('rejects a conversationUrl that is not a URL', () => {
    expect(() => serverCallIdFromConversationUrl('nope')).toThrow(/conversationUrl/);
  });
});
