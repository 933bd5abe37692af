import type { IncomingMessage, ServerResponse } from 'node:http';
import { BufferContent, type ContentSource } from './documentStore';
import { codeForStatus } from './faults';
import { gaError, headerValue, parseRange, sendEmpty, sendJson } from './httpHelpers';
import type { Fault, RequestLogEntry } from './records';
import type { EmulatorState } from './state';

/**
 * Serving recording documents (GA storage locations and 2021 download paths alike): ranges, per-document faults and
 * rate limits, streamed from the source piece by piece. Two framings: the emulator's own (an ETag per version, typed
 * content, JSON errors) and 'recorded', the store's answers as Microsoft's recorded SDK tests show them
 * (Azure/azure-sdk-for-js sdk/communication/communication-callingserver/recordings/node/download_content/
 * recording_download.js and recording_download_with_redirection.js: a full GET is 200 with `Content-Range: bytes
 * 0-61/62`, `Content-Length`, `Content-Type: application/octet-stream` for the metadata too, no ETag; a 302 has
 * `Content-Length: 0` and an absolute `Location` on another host; recordings/browsers/download_content/
 * recording_unauthorized_download.json: a 401 has an empty body).
 */

export interface DocumentRequest {
  req: IncomingMessage;
  res: ServerResponse;
  entry: RequestLogEntry;
  documentId: string;
  target: 'content' | 'metadata';
}

/** The headers every answer of the recorded store carries besides its framing; a body also `Cache-Control`. */
const RECORDED_HEADERS = {
  server: 'Microsoft-HTTPAPI/2.0',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};
const RECORDED_BODY_HEADERS = { 'cache-control': 'no-cache, max-age=0, s-maxage=0, private', ...RECORDED_HEADERS };

/**
 * The 401 body the store sent in Azure/azure-sdk-for-js#26142 (a customer's report of a download refused in 2023):
 * `application/problem+json` with a title, the status, the instance path with a trace id, a message and the trace id.
 */
function problemBody(status: number): object {
  const traceId = '00-dc4b9a78424b9805344e981f68cd46d2-6958107757aafcdb-00';
  const title = codeForStatus(status);
  return {
    title,
    status,
    instance: `/microsoft/ic3/ams///trace-id/${traceId}?timestamp=${new Date().toISOString().slice(0, 19)}`,
    message: title,
    traceId,
  };
}

export function sendStatusFault(
  state: EmulatorState,
  res: ServerResponse,
  fault: Extract<Fault, { kind: 'status' }>,
): void {
  const recorded = state.storageAnswers === 'recorded';
  const headers: Record<string, string> = {
    ...(recorded ? RECORDED_HEADERS : {}),
    ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}),
    ...(fault.retryAfterDate !== undefined ? { 'retry-after': fault.retryAfterDate } : {}),
  };
  const body = fault.body ?? (recorded ? 'empty' : 'error');
  if (body === 'empty') return sendEmpty(res, fault.status, headers);
  if (body === 'problem') {
    const bytes = Buffer.from(JSON.stringify(problemBody(fault.status)), 'utf8');
    res.writeHead(fault.status, {
      ...headers,
      'content-type': 'application/problem+json',
      'content-length': String(bytes.length),
    });
    res.end(bytes);
    return;
  }
  sendJson(res, fault.status, gaError(codeForStatus(fault.status), `Injected fault: status ${fault.status}.`), headers);
}

/** A document that cannot be served: gone (404, or 410 when expired so), in the framing of the answers. */
function sendGone(state: EmulatorState, res: ServerResponse, documentId: string): void {
  const status = state.documents.goneStatus(documentId);
  if (state.storageAnswers === 'recorded') return sendEmpty(res, status, RECORDED_HEADERS);
  sendJson(res, status, gaError('NotFound', `Document ${documentId} was not found or has expired.`));
}

export function deleteDocument(state: EmulatorState, res: ServerResponse, documentId: string): void {
  const fault = state.faults.take(documentId, 'content', false);
  if (fault?.kind === 'status') return sendStatusFault(state, res, fault);
  const doc = state.documents.live(documentId);
  if (!doc) return sendGone(state, res, documentId);
  doc.deleted = true;
  state.deletedDocuments.push(documentId);
  sendEmpty(res, 200);
}

export async function serveDocument(state: EmulatorState, request: DocumentRequest): Promise<void> {
  const { req, res, entry, documentId, target } = request;
  const recorded = state.storageAnswers === 'recorded';
  const doc = state.documents.live(documentId);
  if (!doc) return sendGone(state, res, documentId);
  if (target === 'content') state.documents.countContentRequest(doc);
  const fault = state.faults.take(documentId, target, entry.port === 'storage');
  if (fault?.kind === 'status') return sendStatusFault(state, res, fault);
  if (fault?.kind === 'html') {
    const html = Buffer.from('<html><head><title>400 Bad Request</title></head><body>Bad Request</body></html>');
    res.writeHead(fault.status ?? 400, { 'content-type': 'text/html', 'content-length': String(html.length) });
    res.end(html);
    return;
  }
  if (fault?.kind === 'redirect') {
    // Default: the same path on the regional host; `location` aims it anywhere (a hostile redirect in tests).
    return sendEmpty(res, 302, {
      ...(recorded ? RECORDED_HEADERS : {}),
      location: fault.location ?? `${state.addresses.regionalOrigin}${entry.path}`,
    });
  }
  // NOTE: taken once, before the first byte: a version change during this response does not mix two versions.
  const source: ContentSource = target === 'content' ? doc.content : new BufferContent(doc.metadata);
  const etag = target === 'content' ? doc.etag : doc.metadataEtag;
  const mime = recorded ? 'application/octet-stream' : target === 'content' ? doc.mime : 'application/json';
  const versionHeaders: Record<string, string> = recorded ? { ...RECORDED_BODY_HEADERS } : { etag };
  if (!recorded) entry.etag = etag;
  if (fault?.kind === 'empty') return sendEmpty(res, 200, { 'content-type': mime, ...versionHeaders });
  const range = parseRange(headerValue(req.headers, 'range'), source.size);
  if (range === 'unsatisfiable') {
    const refusal = { 'content-range': `bytes */${source.size}`, ...versionHeaders };
    if (recorded) return sendEmpty(res, 416, refusal);
    return sendJson(res, 416, gaError('RangeNotSatisfiable', 'The requested range is not satisfiable.'), refusal);
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? source.size - 1;
  const chunked = fault?.kind === 'chunked';
  const contentRange = range || (recorded && !chunked) || (chunked && fault.contentRange);
  // NOTE: without Content-Length Node sends the body with chunked transfer-encoding, ended by its zero-size chunk.
  res.writeHead(range ? 206 : 200, {
    'content-type': mime,
    ...(chunked ? {} : { 'content-length': String(end - start + 1) }),
    ...(recorded ? {} : { 'accept-ranges': 'bytes' }),
    ...versionHeaders,
    ...(contentRange ? { 'content-range': `bytes ${start}-${end}/${source.size}` } : {}),
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
  let beforeReset =
    fault?.kind === 'reset'
      ? fault.afterBytes
      : fault?.kind === 'chunked'
        ? (fault.resetAfterBytes ?? Infinity)
        : Infinity;
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
