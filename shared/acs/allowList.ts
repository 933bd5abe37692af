import { isLoopbackHost } from '../config';

/**
 * Download locations come from events, and credentials are attached to the request: a location on any host outside
 * the allow-list is refused before a request is made (SSRF). Hosts match by name, ignoring the port; HTTPS only,
 * plain HTTP only for loopback hosts (local development and tests).
 */
export function locationRefusal(location: URL, allowedHosts: readonly string[]): string | null {
  const host = location.hostname.toLowerCase().replace(/\.$/, '');
  if (location.protocol !== 'https:' && !(location.protocol === 'http:' && isLoopbackHost(host))) {
    return `location uses ${location.protocol} (only https is allowed, plain http only on loopback)`;
  }
  if (location.username || location.password) return 'location carries user credentials';
  if (!allowedHosts.some((pattern) => hostMatches(host, pattern))) {
    return `host ${host} is not in the download allow-list (add it to ACS_DOWNLOAD_HOSTS if it is a genuine ACS storage host)`;
  }
  return null;
}

function hostMatches(host: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".asm.skype.com"
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return host === pattern;
}

/**
 * A content or metadata location belongs to its chunk: the chunk's documentId is one whole segment of its path
 * (published forms: `/v1/objects/{documentId}/content/video`, `.../content/acsmetadata`, and the 2021
 * `/recording/download/{documentId}[/metadata]`). Otherwise an event could point our signed requests at any object.
 */
export function chunkLocationRefusal(location: URL, documentId: string): string | null {
  const segments = location.pathname.split('/').map(decodeSegment);
  return segments.includes(documentId)
    ? null
    : `location path ${location.pathname.slice(0, 120)} does not name the chunk's document ${documentId}`;
}

/**
 * A deleteLocation must be `/v1/objects/{documentId}` (or below it, e.g. `/content/deletedata`) on a storage host,
 * never the ACS endpoint host: a signed DELETE anywhere else could remove something that is not this chunk.
 */
export function deleteLocationRefusal(location: URL, documentId: string, acsEndpointHost: string): string | null {
  // NOTE: host with its port: locally every service is 127.0.0.1, told apart only by port.
  if (location.host.toLowerCase().replace(/\.(?=:|$)/, '') === acsEndpointHost.toLowerCase()) {
    return 'deleteLocation is on the ACS endpoint host, not on a recording storage host';
  }
  const [, v1, objects, id] = location.pathname.split('/');
  if (v1 !== 'v1' || objects !== 'objects' || decodeSegment(id ?? '') !== documentId) {
    return `deleteLocation path ${location.pathname.slice(0, 120)} is not /v1/objects/${documentId}`;
  }
  return null;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
