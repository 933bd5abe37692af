import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** Small HTTP helpers shared by the emulator's hosts. */

export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > limit) throw new Error(`request body over ${limit} bytes`);
    pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

/** The first value of a request header. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    ...(bytes.length > 0 ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': String(bytes.length),
    ...headers,
  });
  res.end(bytes);
}

/** An empty answer. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...(status === 204 ? {} : { 'content-length': '0' }), ...headers });
  res.end();
}

/** The GA error shape: `{"error":{"code","message","target","details"}}`. */
export function gaError(code: string, message: string): object {
  return { error: { code, message, target: null, details: [] } };
}

/** The 2021 preview error shape: `{"code","message","target","details"}`. */
export function previewError(code: string, message: string): object {
  return { code, message, target: null, details: [] };
}

export interface ByteRange {
  start: number;
  end: number;
}

/** Parses a single `bytes=` range; 'unsatisfiable' when it starts past the end, undefined when absent or unusable. */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Percent-decodes one path segment exactly once; undefined when it is not valid percent-encoding. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
