import { randomBytes, randomUUID } from 'node:crypto';

/** Identifiers shaped like the ones ACS hands out. */

/** A serverCallId: base64url (no padding) of a conversation URL, as ACS makes it. */
export function newServerCallId(): string {
  const url = `https://apac-prod.asyncgw.teams.microsoft.com/api/v2/cp/conv-apac-prod-${randomBytes(4).toString('hex')}/?i=10&e=${Date.now()}`;
  return Buffer.from(url, 'utf8').toString('base64url');
}

/**
 * A recordingId: opaque base64 that always contains '+', '/' and '=' so callers that forget to percent-encode it in
 * a path fail in tests rather than in production.
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
