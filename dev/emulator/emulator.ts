import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BufferContent,
  bufferSha256,
  FaultQueue,
  REAL_MEDIA_DURATION_MS,
  realMedia,
  SyntheticContent,
  type ContentSource,
  type StoredDocument,
} from './documentStore';
import { EventDelivery } from './eventDelivery';
import { gaError, parseRange, readBody, sendJson, sleep } from './httpHelpers';
import { newDocumentId, newRecordingId, newServerCallId } from './ids';
import { chunkMetadata, FORMAT_DETAILS, recordingFileStatusEvent, type EventOptions } from './recordingFiles';
import type {
  AcsEmulator,
  DeliveryLogEntry,
  EmulatedRecording,
  EmulatorOptions,
  Fault,
  RecordingChunk,
  RecordingFiles,
  RecordingFilesSpec,
  RequestLogEntry,
  SimulatedCall,
  WebhookValidation,
} from './types';
import { verifyAcsRequest } from './verifyAcsRequest';
import { ControlApi } from './controlApi';
import { handleAdmin } from './adminApi';

/** Base64 access key of the emulator (also in local.settings.sample.json). */
export const EMULATOR_ACCESS_KEY = 'Y2FsbC1yZWNvcmRpbmctYXJjaGl2ZXItZW11bGF0b3Ita2V5IQ==';

type PortKind = RequestLogEntry['port'];

const STORAGE_PATH = /^\/v1\/objects\/([^/?]+)(?:\/content\/(video|audio|acsmetadata))?$/;
const PREVIEW_DOWNLOAD_PATH = /^\/recording\/download\/([^/?]+)(\/metadata)?$/;

export class Emulator implements AcsEmulator {
  readonly requests: RequestLogEntry[] = [];
  readonly deletedDocuments: string[] = [];
  readonly documents = new Map<string, StoredDocument>();
  readonly faults = new FaultQueue();
  readonly accessKey: Buffer;
  readonly retentionMs: number;
  readonly maxClockSkewMs: number;
  readonly events: EventDelivery;
  readonly control: ControlApi;
  endpoint = '';
  connectionString = '';
  storageOrigin = '';
  regionalOrigin = '';
  endpointHost = '';
  private readonly servers: Server[] = [];

  constructor(readonly options: EmulatorOptions) {
    this.accessKey = Buffer.from(options.accessKey ?? EMULATOR_ACCESS_KEY, 'base64');
    this.retentionMs = (options.retentionSeconds ?? 86400) * 1000;
    this.maxClockSkewMs = (options.maxClockSkewSeconds ?? 300) * 1000;
    this.events = new EventDelivery(
      options.deliveryRetryDelaysMs ?? [100, 500, 2000],
      options.deliveryTimeoutMs ?? 30_000,
      (line) => this.log(line),
    );
    this.control = new ControlApi(this);
  }

  get recordings(): ReadonlyMap<string, EmulatedRecording> {
    return this.control.recordings;
  }

  get deliveries(): DeliveryLogEntry[] {
    return this.events.log;
  }

  log(line: string): void {
    this.options.log?.(`[acs-emulator] ${line}`);
  }

  async listen(): Promise<void> {
    const endpointPort = await this.listenOn('endpoint', this.options.port ?? 0);
    const storagePort = await this.listenOn('storage', this.options.storagePort ?? 0);
    const regionalPort = await this.listenOn('regional', this.options.regionalPort ?? 0);
    this.endpointHost = `127.0.0.1:${endpointPort}`;
    this.endpoint = `http://${this.endpointHost}/`;
    this.connectionString = `endpoint=${this.endpoint};accesskey=${this.accessKey.toString('base64')}`;
    this.storageOrigin = `http://127.0.0.1:${storagePort}`;
    this.regionalOrigin = `http://127.0.0.1:${regionalPort}`;
  }

  private async listenOn(kind: PortKind, port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(kind, req, res).catch((error: unknown) => {
        this.log(`${kind} ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendJson(res, 500, gaError('InternalServerError', 'The emulator failed.'));
        else res.destroy();
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.events.stop();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private async handle(kind: PortKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const pathAndQuery = req.url ?? '/';
    const xMsHost = header(req, 'x-ms-host');
    const entry: RequestLogEntry = {
      port: kind,
      method,
      path: pathAndQuery,
      status: 0,
      bytesSent: 0,
      authorized: false,
      ...(header(req, 'range') ? { range: header(req, 'range') } : {}),
      ...(xMsHost ? { xMsHost } : {}),
    };
    this.requests.push(entry);
    res.on('close', () => (entry.status ||= res.statusCode));
    const originalWriteHead = res.writeHead.bind(res);
    res.writeHead = (status: number, ...rest: never[]) => {
      entry.status = status;
      return originalWriteHead(status, ...rest);
    };

    const body = await readBody(req);
    if (kind === 'endpoint' && pathAndQuery.startsWith('/_emulator/')) {
      // NOTE: not part of ACS; unauthenticated loopback helpers so a standalone emulator can be driven by hand.
      return handleAdmin(this, req.method ?? 'GET', pathAndQuery, body, res);
    }
    // NOTE: the storage host checks a signature made for the ACS endpoint: x-ms-host names it (SPEC section 3).
    const signedHost = kind === 'endpoint' ? (header(req, 'host') ?? '') : this.endpointHost;
    if (kind !== 'endpoint' && xMsHost !== this.endpointHost) {
      return this.unauthorized(res, `x-ms-host must be the ACS endpoint host '${this.endpointHost}'.`);
    }
    const verdict = verifyAcsRequest({
      method,
      pathAndQuery,
      headers: req.headers,
      body,
      host: signedHost,
      accessKey: this.accessKey,
      maxClockSkewMs: this.maxClockSkewMs,
    });
    if (!verdict.ok) return this.unauthorized(res, verdict.reason);
    entry.authorized = true;

    const path = pathAndQuery.split('?')[0]!;
    if (kind === 'endpoint') {
      const preview = PREVIEW_DOWNLOAD_PATH.exec(path);
      if (preview) {
        if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, gaError('MethodNotAllowed', method));
        return this.serveDocument(
          kind,
          req,
          res,
          decodeURIComponent(preview[1]!),
          preview[2] ? 'metadata' : 'content',
          entry,
        );
      }
      return this.control.handle(req, res, method, pathAndQuery, body);
    }
    const storage = STORAGE_PATH.exec(path);
    if (!storage) return sendJson(res, 404, gaError('NotFound', 'No such storage path.'));
    const documentId = decodeURIComponent(storage[1]!);
    if (!storage[2]) {
      if (method !== 'DELETE') return sendJson(res, 405, gaError('MethodNotAllowed', method));
      return this.deleteDocument(res, documentId);
    }
    if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, gaError('MethodNotAllowed', method));
    return this.serveDocument(kind, req, res, documentId, storage[2] === 'acsmetadata' ? 'metadata' : 'content', entry);
  }

  private unauthorized(res: ServerResponse, reason: string): void {
    sendJson(res, 401, gaError('Unauthorized', `Denied by the emulator's HMAC verification: ${reason}`), {
      'www-authenticate': 'HMAC-SHA256',
    });
  }

  private liveDocument(documentId: string): StoredDocument | undefined {
    const doc = this.documents.get(documentId);
    if (!doc || doc.deleted || doc.expired || Date.now() - doc.createdAt > this.retentionMs) return undefined;
    return doc;
  }

  private deleteDocument(res: ServerResponse, documentId: string): void {
    const fault = this.faults.take(documentId, 'content', false);
    if (fault && fault.kind === 'status') return this.sendStatusFault(res, fault);
    const doc = this.liveDocument(documentId);
    if (!doc) return sendJson(res, 404, gaError('NotFound', `Document ${documentId} was not found.`));
    doc.deleted = true;
    this.deletedDocuments.push(documentId);
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  }

  private sendStatusFault(res: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
    const codes: Record<number, string> = {
      429: 'TooManyRequests',
      500: 'InternalServerError',
      503: 'ServiceUnavailable',
    };
    sendJson(
      res,
      fault.status,
      gaError(codes[fault.status] ?? `Status${fault.status}`, `Injected fault: status ${fault.status}.`),
      fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
    );
  }

  private async serveDocument(
    kind: PortKind,
    req: IncomingMessage,
    res: ServerResponse,
    documentId: string,
    target: 'content' | 'metadata',
    entry: RequestLogEntry,
  ): Promise<void> {
    const doc = this.liveDocument(documentId);
    if (!doc) return sendJson(res, 404, gaError('NotFound', `Document ${documentId} was not found or has expired.`));
    const fault = this.faults.take(documentId, target, kind === 'storage');
    if (fault?.kind === 'status') return this.sendStatusFault(res, fault);
    if (fault?.kind === 'html') {
      const html = Buffer.from('<html><head><title>400 Bad Request</title></head><body>Bad Request</body></html>');
      res.writeHead(fault.status ?? 400, { 'content-type': 'text/html', 'content-length': String(html.length) });
      res.end(html);
      return;
    }
    if (fault?.kind === 'redirect') {
      res.writeHead(302, { location: `${this.regionalOrigin}${req.url ?? '/'}`, 'content-length': '0' });
      res.end();
      return;
    }
    const source: ContentSource = target === 'content' ? doc.content : new BufferContent(doc.metadata);
    const mime = target === 'content' ? doc.mime : 'application/json';
    if (fault?.kind === 'empty') {
      res.writeHead(200, { 'content-type': mime, 'content-length': '0' });
      res.end();
      return;
    }
    const range = parseRange(header(req, 'range'), source.size);
    if (range === 'unsatisfiable') {
      return sendJson(res, 416, gaError('RangeNotSatisfiable', 'The requested range is not satisfiable.'), {
        'content-range': `bytes */${source.size}`,
      });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? source.size - 1;
    res.writeHead(range ? 206 : 200, {
      'content-type': mime,
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${source.size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await this.streamBody(res, source, start, end, fault, entry);
  }

  private async streamBody(
    res: ServerResponse,
    source: ContentSource,
    start: number,
    end: number,
    fault: Fault | undefined,
    entry: RequestLogEntry,
  ): Promise<void> {
    let closed = false;
    res.once('close', () => (closed = true));
    const write = async (piece: Buffer): Promise<void> => {
      entry.bytesSent += piece.length;
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    };
    let remainingBeforeReset = fault?.kind === 'reset' ? fault.afterBytes : Infinity;
    if (remainingBeforeReset <= 0) {
      res.flushHeaders();
      res.socket?.destroy();
      return;
    }
    for await (const piece of source.range(start, end)) {
      if (closed) return;
      let part = piece;
      if (part.length >= remainingBeforeReset) {
        part = part.subarray(0, remainingBeforeReset);
        entry.bytesSent += part.length;
        // NOTE: destroy only once the partial body has left, so the client sees N bytes and then a reset.
        res.write(part, () => res.socket?.destroy());
        return;
      }
      remainingBeforeReset -= part.length;
      if (fault?.kind === 'trickle') {
        const step = Math.max(1, Math.floor(fault.bytesPerSecond / 10));
        for (let at = 0; at < part.length && !closed; at += step) {
          await write(part.subarray(at, at + step));
          await sleep(100);
        }
      } else {
        await write(part);
      }
    }
    if (!closed) res.end();
  }

  async createRecordingFiles(spec: RecordingFilesSpec): Promise<RecordingFiles> {
    const format = spec.format ?? 'mp4';
    const details = FORMAT_DETAILS[format];
    const callId = spec.callId ?? randomUUID();
    const recordingId = spec.recordingId ?? newRecordingId();
    const seed = spec.seed ?? randomUUID();
    const participants = spec.participants ?? [`8:acs:${randomUUID()}`, `8:acs:${randomUUID()}`];
    const chunkSpecs =
      typeof spec.chunks === 'number' || spec.chunks === undefined
        ? Array.from({ length: spec.chunks ?? 1 }, () => ({
            size: spec.chunkSize,
            media: spec.chunkSize === undefined ? format : ('synthetic' as const),
            endReason: undefined as string | undefined,
          }))
        : spec.chunks;
    const startTime = new Date(spec.recordingStartTime ?? Date.now());
    let offsetMs = 0;
    const chunks: RecordingChunk[] = [];
    for (const [index, chunkSpec] of chunkSpecs.entries()) {
      const media = chunkSpec.media ?? (chunkSpec.size === undefined ? format : 'synthetic');
      const documentId = newDocumentId();
      let content: ContentSource;
      let sha256: string;
      let mime = details.mime;
      if (media === 'synthetic') {
        const synthetic = new SyntheticContent(`${seed}/${index}`, chunkSpec.size ?? 1024 * 1024);
        content = synthetic;
        sha256 = await synthetic.sha256();
      } else {
        const bytes = realMedia(media);
        content = new BufferContent(bytes);
        sha256 = bufferSha256(bytes);
        mime = FORMAT_DETAILS[media].mime;
      }
      // Synthetic media "lasts" one second per MiB, real samples their own 3 s.
      const durationMs =
        media === 'synthetic' ? Math.max(1000, Math.round(content.size / 1048.576)) : REAL_MEDIA_DURATION_MS;
      const metadata = chunkMetadata({
        callId,
        documentId,
        index,
        startTime: new Date(startTime.getTime() + offsetMs).toISOString(),
        durationMs,
        format,
        participants,
        channelType: spec.channelType ?? 'mixed',
        pauseResumeIntervals: spec.pauseResumeIntervals ?? [],
      });
      offsetMs += durationMs;
      const isLast = index === chunkSpecs.length - 1;
      this.documents.set(documentId, {
        documentId,
        content,
        mime,
        metadata,
        createdAt: Date.now(),
        expired: false,
        deleted: false,
      });
      chunks.push({
        index,
        documentId,
        endReason: chunkSpec.endReason ?? (isLast ? 'SessionEnded' : 'ChunkMaximumSizeExceeded'),
        contentLocation: `${this.storageOrigin}/v1/objects/${documentId}/content/${details.locationKind}`,
        metadataLocation: `${this.storageOrigin}/v1/objects/${documentId}/content/acsmetadata`,
        deleteLocation: `${this.storageOrigin}/v1/objects/${documentId}`,
        size: content.size,
        sha256,
        metadata,
        metadataSha256: bufferSha256(metadata),
        contentType: mime,
      });
    }
    return {
      callId,
      serverCallId: spec.serverCallId ?? newServerCallId(),
      recordingId,
      recordingStartTime: startTime.toISOString().replace('Z', '0000Z'),
      recordingDurationMs: offsetMs,
      contentType: details.contentType,
      channelType: spec.channelType === 'unmixed' ? 'Unmixed' : 'Mixed',
      formatType: details.formatType,
      chunks,
    };
  }

  recordingFileStatusEvent(files: RecordingFiles, opts: EventOptions = {}): object {
    return recordingFileStatusEvent(files, {
      schema: opts.schema ?? this.options.eventSchema,
      form: opts.form ?? this.options.eventForm,
      ...(opts.chunkIndices ? { chunkIndices: opts.chunkIndices } : {}),
      ...(opts.id ? { id: opts.id } : {}),
    });
  }

  setFault(documentId: string, fault: Fault): void {
    this.faults.add(documentId, fault);
  }

  clearFaults(documentId?: string): void {
    this.faults.clear(documentId);
  }

  expire(documentId: string): void {
    const doc = this.documents.get(documentId);
    if (doc) doc.expired = true;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  startCall(opts?: { serverCallId?: string; participants?: string[]; legs?: number }): Promise<SimulatedCall> {
    return this.control.startCall(opts);
  }

  endCall(serverCallId: string): Promise<void> {
    return this.control.endCall(serverCallId);
  }

  setControlFault(fault: {
    status: number;
    code?: string;
    message?: string;
    times?: number;
    retryAfterSeconds?: number;
  }): void {
    this.control.setFault(fault);
  }

  validateWebhook(url: string, schema?: 'EventGrid' | 'CloudEvents'): Promise<WebhookValidation> {
    return this.events.validate(url, schema ?? this.options.eventSchema ?? 'EventGrid');
  }

  idle(): Promise<void> {
    return this.events.idle();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
