import { BadInputError } from '../errors';

/** A serverCallId is at most a few hundred characters; anything far longer is not one. */
const MAX_SERVER_CALL_ID_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Encodes a call's conversation URL as ACS does: base64url (RFC 4648 section 5) of its UTF-8 bytes, no padding.
 * NOTE: plain base64 ('+', '/', '=') is the classic mistake; it is not safe in a path and ACS does not accept it.
 * https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function serverCallIdFromConversationUrl(conversationUrl: string, field = 'conversationUrl'): string {
  let url: URL;
  try {
    url = new URL(conversationUrl);
  } catch {
    throw new BadInputError(`${field} is not an absolute URL`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BadInputError(`${field} must be an http(s) URL`, field);
  }
  return Buffer.from(conversationUrl, 'utf8').toString('base64url');
}

/**
 * Validates a serverCallId (or 2021 conversationId, the same thing) and returns it unchanged.
 * Rejects plain base64 with an explanation, and anything that does not decode to a conversation URL.
 */
export function parseServerCallId(value: unknown, field = 'serverCallId'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new BadInputError(`${field} is required and must be a non-empty string`, field);
  }
  if (value.length > MAX_SERVER_CALL_ID_LENGTH) {
    throw new BadInputError(`${field} is longer than ${MAX_SERVER_CALL_ID_LENGTH} characters`, field);
  }
  if (/[+/=]/.test(value)) {
    throw new BadInputError(
      `${field} looks like plain base64 ('+', '/' or '='); a serverCallId is base64url (RFC 4648 section 5) ` +
        `without padding: replace '+' with '-', '/' with '_' and drop '='`,
      field,
    );
  }
  if (!BASE64URL.test(value)) {
    throw new BadInputError(`${field} must contain only base64url characters (A-Z, a-z, 0-9, '-', '_')`, field);
  }
  if (value.length % 4 === 1) {
    throw new BadInputError(`${field} has an impossible base64url length`, field);
  }
  const decoded = Buffer.from(value, 'base64url').toString('utf8');
  if (!/^https?:\/\/[^\s]+$/.test(decoded)) {
    throw new BadInputError(`${field} does not decode to a conversation URL`, field);
  }
  return value;
}

/** The conversation URL a serverCallId encodes (after validation). */
export function conversationUrlFromServerCallId(serverCallId: string): string {
  return Buffer.from(parseServerCallId(serverCallId), 'base64url').toString('utf8');
}
