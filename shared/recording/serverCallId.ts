import { BadInputError } from '../errors';

/**
 * A serverCallId (and the 2021 conversationId, the same thing) is opaque: ACS hands out standard base64 with '+',
 * '/' and '=' (the 2025-06-15 StartRecording REST example), base64url, or anything else it likes. It is taken exactly
 * as given, only bounded, so that it can neither flood a log nor smuggle control characters into one.
 */
export const MAX_CALL_ID_LENGTH = 1024;

/** At least one character, every one printable ASCII without whitespace: '!' (0x21) to '~' (0x7e). */
export function isPrintableAscii(value: string): boolean {
  return /^[\x21-\x7e]+$/.test(value);
}

/**
 * Validates an opaque call id (serverCallId, conversationId, callConnectionId) and returns it unchanged. The error
 * names the field and never echoes the value.
 */
export function parseServerCallId(value: unknown, field = 'serverCallId'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new BadInputError(`${field} is required and must be a non-empty string`, field);
  }
  if (value.length > MAX_CALL_ID_LENGTH) {
    throw new BadInputError(`${field} is longer than ${MAX_CALL_ID_LENGTH} characters`, field);
  }
  if (!isPrintableAscii(value)) {
    throw new BadInputError(`${field} must be printable ASCII without whitespace or control characters`, field);
  }
  return value;
}

/**
 * The serverCallId of a call a client only knows by `call.info.getConversationUrl()`: base64url (RFC 4648 section 5)
 * of the URL's UTF-8 bytes, without padding, as the 2021 documentation requires for that case. This is the only
 * place the product encodes an id. https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function serverCallIdFromConversationUrl(conversationUrl: unknown, field = 'conversationUrl'): string {
  if (typeof conversationUrl !== 'string' || conversationUrl.length === 0) {
    throw new BadInputError(`${field} is required and must be a non-empty string`, field);
  }
  let url: URL;
  try {
    url = new URL(conversationUrl);
  } catch {
    throw new BadInputError(`${field} is not an absolute URL`, field);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BadInputError(`${field} must be an http(s) URL`, field);
  }
  const id = Buffer.from(conversationUrl, 'utf8').toString('base64url');
  if (id.length > MAX_CALL_ID_LENGTH) {
    throw new BadInputError(
      `${field} is too long: its serverCallId would exceed ${MAX_CALL_ID_LENGTH} characters`,
      field,
    );
  }
  return id;
}

/**
 * The id in an API path (`/api/recordings/{serverCallId}`), which the caller percent-encodes because real ids hold
 * '/', '+' and '='. The host has already decoded the route value, but not in the same way everywhere:
 * - the Functions host routes with ASP.NET Core, which decodes every escape in a path EXCEPT `%2F` (an encoded '/'
 *   would change which route matches), so `a%2Fb%3D%3D` arrives as `a%2Fb==`
 *   (https://github.com/dotnet/aspnetcore/issues/17864, https://github.com/dotnet/aspnetcore/issues/2655);
 * - the local host (dev/host) splits the path first and then decodes each segment fully: `a/b==`.
 * So the one decoding left to do is `%2F` -> '/'. Decoding everything again with decodeURIComponent would be wrong for
 * an id holding a literal '%' (it would be decoded twice, or throw). The one ambiguity left is ASP.NET Core's own: an
 * id containing the three characters `%2F` arrives like an encoded '/' and cannot be told apart; ACS ids are base64
 * and never contain '%'.
 */
export function callIdFromRouteValue(routeValue: string | undefined, field = 'serverCallId'): string {
  return parseServerCallId(routeValue?.replace(/%2f/gi, '/'), field);
}
