import { isLoopbackHost } from '../config';

/**
 * Download locations come from events, and credentials are attached to the request: a location on any host outside
 * the allow-list is refused before a request is made (SSRF). Hosts match by name, ignoring the port; HTTPS only,
 * plain HTTP only for loopback hosts (local development and tests).
 */
export function locationRefusal(location: URL, allowedHosts: readonly string[]): string | null {
  const host = location.hostname.toLowerCase();
  if (location.protocol !== 'https:' && !(location.protocol === 'http:' && isLoopbackHost(host))) {
    return `location uses ${location.protocol} (only https is allowed, plain http only on loopback)`;
  }
  if (location.username || location.password) return 'location carries user credentials';
  if (!allowedHosts.some((pattern) => hostMatches(host, pattern))) {
    return `host ${host} is not in the download allow-list (add it to ACS_DOWNLOAD_HOSTS if it is a genuine ACS storage host)`;
  }
  return null;
}

export function hostMatches(host: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".asm.skype.com"
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return host === pattern;
}
