/**
 * Azure Functions route templates (`recordings/{serverCallId?}/{action?}`, `{id:int}`, `{*rest}`), matched as they are
 * matched in Azure. Pure.
 */

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: string;
}

export function parseRoute(template: string): Segment[] {
  return template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((segment) => {
      const match = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(segment);
      if (!match) return { literal: segment.toLowerCase() };
      return {
        param: match[2],
        catchAll: Boolean(match[1]),
        constraint: match[3],
        optional: Boolean(match[4]) || Boolean(match[1]),
      };
    });
}

/**
 * The path as the Functions host in Azure gets it to route: an encoded '/' (`%2F`) or '\' (`%5C`), in any case, is a
 * segment separator by then. NOTE: App Service's front end decodes and canonicalizes the request path before it
 * forwards the request to the host (by design; the raw bytes are kept only in the X-Waws-Unencoded-Url header), so
 * `api/echo/my%2Fmessage` reaches the router as `api/echo/my/message`, and a route `echo/{msg}` no longer matches:
 * 404, with no log line (azure-functions-host#3998, #5619, #9290; the front end's part: azure-functions-host#9402,
 * dotnet/aspnetcore#40532, where `%5C` arrives as '/'). A literal '\' is already a '/' here: the WHATWG URL parser
 * reads it so in http(s) URLs. The rest of each segment is decoded afterwards, once, as the host decodes it.
 */
export function routingPath(rawPath: string): string {
  return rawPath.replace(/%2f|%5c/gi, '/');
}

/**
 * The route parameters when `path` (without /api/, as sent: percent-encoded) matches the template, else null.
 * Literals match case-insensitively.
 */
export function matchRoute(template: string, path: string): Record<string, string> | null {
  const segments = parseRoute(template);
  const parts = routingPath(path)
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((p) => p.length > 0);
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of segments) {
    if (segment.catchAll) {
      if (i < parts.length) params[segment.param!] = parts.slice(i).map(decode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) {
      if (segment.optional) continue;
      return null;
    }
    if (segment.literal !== undefined) {
      if (part.toLowerCase() !== segment.literal) return null;
    } else {
      const value = decode(part);
      if (!satisfies(value, segment.constraint)) return null;
      params[segment.param!] = value;
    }
    i++;
  }
  return i === parts.length ? params : null;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function satisfies(value: string, constraint: string | undefined): boolean {
  switch (constraint) {
    case undefined:
      return true;
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'guid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
    case 'alpha':
      return /^[A-Za-z]+$/.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    default:
      return true;
  }
}
