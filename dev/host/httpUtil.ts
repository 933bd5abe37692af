import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small HTTP helpers shared by the host's endpoints. */

const MAX_BODY_BYTES = 100 * 1024 * 1024; // the real host's default request size limit

/** The whole body, or null when it is over the host's limit (the caller answers 413). */
export async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > MAX_BODY_BYTES) return null;
    pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

export function send(
  res: ServerResponse,
  status: number,
  body: Buffer | undefined,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...headers, 'content-length': String(body?.length ?? 0) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, Buffer.from(JSON.stringify(value)), { 'content-type': 'application/json' });
}

/** Sends the RPC http response `@azure/functions` produced (`getResponse().returnValue`). */
export function sendRpcHttp(res: ServerResponse, value: unknown): void {
  const http = (
    value as
      | {
          http?: {
            statusCode?: string;
            headers?: Record<string, string>;
            body?: { bytes?: Uint8Array; string?: string };
          };
        }
      | undefined
  )?.http;
  if (!http) return send(res, 204, undefined);
  const body = http.body?.bytes
    ? Buffer.from(http.body.bytes)
    : http.body?.string !== undefined
      ? Buffer.from(http.body.string)
      : undefined;
  send(res, Number(http.statusCode ?? 200), body, http.headers ?? {});
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
