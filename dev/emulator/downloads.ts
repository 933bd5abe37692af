import type { IncomingMessage, ServerResponse } from 'node:http';
import { BufferContent, type ContentSource } from './documentStore';
import { codeForStatus } from './faults';
import { gaError, headerValue, parseRange, sendEmpty, sendJson } from './httpHelpers';
import type { Fault, RequestLogEntry } from './records';
import type { EmulatorState } from './state';

/**
 * Serving recording documents (GA storage locations and 2021 download paths alike): ETag per version, ranges,
 * per-document faults and rate limits, streamed from the source piece by piece.
 */

export interface DocumentRequest {
  req: IncomingMessage;
  res: ServerResponse;
  entry: RequestLogEntry;
  documentId: string;
  target: 'content' | 'metadata';
}

export function sendStatusFault(res: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
  sendJson(
    res,
    fault.status,
    gaError(codeForStatus(fault.status), `Injected fault: status ${fault.status}.`),
    fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
  );
}

export function deleteDocument(state: EmulatorState, res: ServerResponse, documentId: string): void {
  const fault = state.faults.take(documentId, 'content', false);
  if (fault?.kind === 'status') return sendStatusFault(res, fault);
  const doc = state.documents.live(documentId);
  if (!doc) return sendJson(res, 404, gaError('NotFound', `Document ${documentId} was not found.`));
  doc.deleted = true;
  state.deletedDocuments.push(documentId);
  sendEmpty(res, 200);
}

export async function serveDocument(state: EmulatorState, request: DocumentRequest): Promise<void> {
  const { req, res, entry, documentId, target } = request;
  const doc = state.documents.live(documentId);
  if (!doc) return sendJson(res, 404, gaError('NotFound', `Document ${documentId} was not found or has expired.`));
  if (target === 'content') state.documents.countContentRequest(doc);
  const fault = state.faults.take(documentId, target, entry.port === 'storage');
  if (fault?.kind === 'status') return sendStatusFault(res, fault);
  if (fault?.kind === 'html') {
    const html = Buffer.from('<html><head><title>400 Bad Request</title></head><body>Bad Request</body></html>');
    res.writeHead(fault.status ?? 400, { 'content-type': 'text/html', 'content-length': String(html.length) });
    res.end(html);
    return;
  }
  if (fault?.kind === 'redirect') {
    // Default: the same path on the regional host; `location` aims it anywhere (a hostile redirect in tests).
    return sendEmpty(res, 302, { location: fault.location ?? `${state.addresses.regionalOrigin}${entry.path}` });
  }
  // NOTE: taken once, before the first byte: a version change during this response does not mix two versions.
  const source: ContentSource = target === 'content' ? doc.content : new BufferContent(doc.metadata);
  const etag = target === 'content' ? doc.etag : doc.metadataEtag;
  const mime = target === 'content' ? doc.mime : 'application/json';
  entry.etag = etag;
  if (fault?.kind === 'empty') return sendEmpty(res, 200, { 'content-type': mime, etag });
  const range = parseRange(headerValue(req.headers, 'range'), source.size);
  if (range === 'unsatisfiable') {
    return sendJson(res, 416, gaError('RangeNotSatisfiable', 'The requested range is not satisfiable.'), {
      'content-range': `bytes */${source.size}`,
      etag,
    });
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? source.size - 1;
  res.writeHead(range ? 206 : 200, {
    'content-type': mime,
    'content-length': String(end - start + 1),
    'accept-ranges': 'bytes',
    etag,
    ...(range ? { 'content-range': `bytes ${start}-${end}/${source.size}` } : {}),
  });
  if (entry.method === 'HEAD') {
    res.end();
    return;
  }
  await streamBody(state, request, source.range(start, end), fault);
}

async function streamBody(
  state: EmulatorState,
  { res, entry, documentId }: DocumentRequest,
  pieces: AsyncIterable<Buffer>,
  fault: Fault | undefined,
): Promise<void> {
  let closed = false;
  res.once('close', () => (closed = true));
  const write = async (slice: Buffer): Promise<void> => {
    entry.bytesSent += slice.length;
    if (res.write(slice)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  let beforeReset = fault?.kind === 'reset' ? fault.afterBytes : Infinity;
  if (beforeReset <= 0) {
    res.flushHeaders();
    res.socket?.destroy();
    return;
  }
  const trickle = fault?.kind === 'trickle' ? fault.bytesPerSecond : undefined;
  for await (const piece of pieces) {
    const resetAfter = piece.length >= beforeReset;
    const part = resetAfter ? piece.subarray(0, beforeReset) : piece;
    beforeReset -= part.length;
    // Read per piece: a rate limit set or lifted mid-download applies from the next piece on.
    const limiter = state.rateLimits.get(documentId);
    const step = trickle !== undefined ? Math.max(1, Math.floor(trickle / 10)) : (limiter?.sliceBytes ?? part.length);
    for (let at = 0; at < part.length; at += step) {
      if (closed) return;
      const slice = part.subarray(at, at + step);
      if (trickle !== undefined) await state.clock.sleep(100);
      else await limiter?.take(slice.length);
      if (resetAfter && at + step >= part.length) {
        entry.bytesSent += slice.length;
        // NOTE: destroy only once the partial body has left, so the client sees N bytes and then a reset.
        res.write(slice, () => res.socket?.destroy());
        return;
      }
      await write(slice);
    }
  }
  if (!closed) res.end();
}
