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

/** Where a chunk location may point: the recording store's objects, or the 2021 download paths of the ACS endpoint. */
export type ChunkLocationShape = 'storage' | 'endpoint2021';

/**
 * The published shape a content or metadata location has, naming its own chunk's document, or null:
 * `/v1/objects/{documentId}/content/{kind}` (video, audio, acsmetadata: Microsoft's event samples) or the 2021
 * `/recording/download/{documentId}[/metadata]`. Positional, not "the documentId somewhere": a path that merely holds
 * the id as a segment (`/rooms/{documentId}/participants`) would point signed requests at anything.
 */
export function chunkLocationShape(location: URL, documentId: string): ChunkLocationShape | null {
  const s = location.pathname.split('/').map(decodeSegment);
  if (s.length === 6 && s[1] === 'v1' && s[2] === 'objects' && s[3] === documentId && s[4] === 'content' && s[5]) {
    return 'storage';
  }
  const metadata = s.length === 5 && s[4] === 'metadata';
  if ((s.length === 4 || metadata) && s[1] === 'recording' && s[2] === 'download' && s[3] === documentId) {
    return 'endpoint2021';
  }
  return null;
}

/**
 * Why a content or metadata location cannot be its chunk's, or null. With `where` (the ACS endpoint's host, with its
 * port, and the dialect), the shape must also fit the host: store objects never on the ACS endpoint (its other paths
 * are the control API), the 2021 download paths only there and only in the conversations dialect.
 */
export function chunkLocationRefusal(
  location: URL,
  documentId: string,
  where?: { endpointHost: string; dialect: 'calling' | 'conversations' },
): string | null {
  const shape = chunkLocationShape(location, documentId);
  if (shape === null) {
    return (
      `location path ${location.pathname.slice(0, 120)} is not a published location of the chunk's document ` +
      `${documentId} (/v1/objects/{documentId}/content/..., or the 2021 /recording/download/{documentId})`
    );
  }
  if (!where) return null;
  const onEndpoint = hostWithPort(location) === where.endpointHost.toLowerCase();
  if (shape === 'storage' && onEndpoint) return 'a recording store path on the ACS endpoint host';
  if (shape === 'endpoint2021' && !onEndpoint) return 'a 2021 download path on a host that is not the ACS endpoint';
  if (shape === 'endpoint2021' && where.dialect !== 'conversations') {
    return 'a 2021 download path, taken only with ACS_RECORDING_API=conversations';
  }
  return null;
}

/** The host with its port, lower case, without a trailing dot. NOTE: locally every service is 127.0.0.1. */
function hostWithPort(location: URL): string {
  return location.host.toLowerCase().replace(/\.(?=:|$)/, '');
}

/**
 * A deleteLocation must be `/v1/objects/{documentId}` (or below it, e.g. `/content/deletedata`) on a storage host,
 * never the ACS endpoint host: a signed DELETE anywhere else could remove something that is not this chunk.
 */
export function deleteLocationRefusal(location: URL, documentId: string, acsEndpointHost: string): string | null {
  if (hostWithPort(location) === acsEndpointHost.toLowerCase()) {
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
