import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** Identifiers shaped like the ones ACS hands out. */

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~';

/**
 * A conversation URL like the one inside the serverCallId of Learn's "mute participants" sample event
 * (MicrosoftDocs/azure-docs articles/communication-services/how-tos/call-automation/includes/
 * mute-participants-how-to-java.md): `https://api.flightproxy.skype.com/api/v2/cp/conv-usea2-01.conv.skype.com/conv/
 * FHcWYTEqY0CTcEJRRwTw5Q?i=4&e=638149311049453684` (`e` is a .NET tick count).
 */
function conversationUrl(): string {
  let token = '';
  for (let i = 20 + randomInt(4); i > 0; i--) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  const ticks = BigInt(Date.now()) * 10000n + 621355968000000000n;
  const host = `conv-usea2-${String(randomInt(100)).padStart(2, '0')}.conv.skype.com`;
  return `https://api.flightproxy.skype.com/api/v2/cp/${host}/conv/${token}?i=${randomInt(20)}&e=${ticks}`;
}

/**
 * A serverCallId: the base64 of a conversation URL, as ACS makes it. The 2025-06-15 StartRecording REST example
 * (Azure/azure-rest-api-specs, specification/communication/data-plane/CallAutomation/stable/2025-06-15/examples/
 * CallRecording_StartRecording.json) uses `aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==`,
 * standard base64 of `https://skype.net/api/v2/cp/skype.net/conv/1PwvJ171dR?i=0&e=7577087579`.
 *
 * 'base64' ids always contain '+' and '/' and end in '=', so a caller that forgets to percent-encode one in a path,
 * or re-encodes it, fails in tests rather than in production. 'base64url' ids (RFC 4648 section 5, no padding, as
 * the Learn voice and video events page shows one) always contain '-' and '_' and would have needed padding.
 */
export function newServerCallId(style: 'base64' | 'base64url' = 'base64'): string {
  for (;;) {
    const bytes = Buffer.from(conversationUrl(), 'utf8');
    // NOTE: in base64 of ASCII text only '?' (→ '/') and '~' (→ '+') at an offset of 2 mod 3 give those characters;
    // the loop waits for a URL where both landed there (about 40 tries).
    const id = bytes.toString(style);
    const ok =
      style === 'base64'
        ? id.includes('+') && id.includes('/') && id.endsWith('=')
        : id.includes('-') && id.includes('_') && id.length % 4 !== 0;
    if (ok) return id;
  }
}

/**
 * A recordingId: opaque base64 that always contains '+', '/' and '=' so callers that forget to percent-encode it in
 * a path fail in tests rather than in production. Real ones are base64 JSON (`{"PlatformEndpointId":…}`).
 */
export function newRecordingId(): string {
  for (;;) {
    const id = Buffer.concat([Buffer.from(`{"PlatformEndpointId":"${randomUUID()}",`), randomBytes(40)]).toString(
      'base64',
    );
    if (id.includes('+') && id.includes('/') && id.endsWith('=')) return id;
  }
}

export function newDocumentId(): string {
  return `0-eus-d2-${randomBytes(16).toString('hex')}`;
}

/** An ETag shaped like Azure storage's (`"0x8DC…"`), new for every version of a document. */
export function newEtag(): string {
  return `"0x8DC${randomBytes(7).toString('hex').toUpperCase().slice(0, 13)}"`;
}
