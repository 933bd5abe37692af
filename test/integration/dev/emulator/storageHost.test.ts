import { createHash } from 'node:crypto';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
import { corpusPayload } from '../../../helpers/corpus';
import { recordedAnswers, RECORDED_DOWNLOAD, RECORDED_REDIRECT } from '../../../helpers/recordedAnswers';
import { signedFetch } from '../../../helpers/signedFetch';

/** The storage host: signed downloads, ranges, deletes, expiry, faults and the request log. */

let emulator: AcsEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ retentionSeconds: 3600 });
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.clearRequests());

const sha256 = (bytes: Buffer | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bytesOf = async (response: Response): Promise<Buffer> => Buffer.from(await response.arrayBuffer());

describe('recording files', () => {
  it('serves real media and metadata with the right types, sizes and hashes', async () => {
    for (const format of ['mp4', 'mp3', 'wav'] as const) {
      const files = await emulator.createRecordingFiles({ format });
      const chunk = files.chunks[0]!;
      expect(chunk.contentLocation).toMatch(
        new RegExp(`^${emulator.storageOrigin}/v1/objects/${chunk.documentId}/content/(video|audio)$`),
      );
      const content = await signedFetch(emulator, chunk.contentLocation);
      expect(content.status).toBe(200);
      expect(content.headers.get('content-type')).toBe(
        { mp4: 'video/mp4', mp3: 'audio/mpeg', wav: 'audio/wav' }[format],
      );
      const bytes = await bytesOf(content);
      expect(bytes.length).toBe(chunk.size);
      expect(sha256(bytes)).toBe(chunk.sha256);
      if (format === 'mp4') expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      if (format === 'wav') expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
      const metadata = await signedFetch(emulator, chunk.metadataLocation);
      expect(metadata.headers.get('content-type')).toMatch(/^application\/json/);
      const metadataBytes = await bytesOf(metadata);
      expect(metadataBytes.equals(chunk.metadata)).toBe(true);
      expect(JSON.parse(metadataBytes.toString('utf8'))).toMatchObject({
        callId: files.callId,
        chunkDocumentId: chunk.documentId,
        chunkIndex: 0,
        recordingInfo: { format, channelType: 'mixed' },
        participants: [{ participantId: expect.any(String) }, { participantId: expect.any(String) }],
      });
    }
  });

  it('makes recording ids that need percent-encoding and synthetic chunks with a known hash', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 2, chunkSize: 3 * 1024 * 1024 + 7, seed: 's1' });
    expect(files.recordingId).toMatch(/[+/=]/);
    expect(files.chunks.map((c) => [c.index, c.endReason])).toEqual([
      [0, 'ChunkMaximumSizeExceeded'],
      [1, 'SessionEnded'],
    ]);
    const again = await emulator.createRecordingFiles({ chunks: 2, chunkSize: 3 * 1024 * 1024 + 7, seed: 's1' });
    expect(again.chunks.map((c) => c.sha256)).toEqual(files.chunks.map((c) => c.sha256));
    expect(files.chunks[0]!.sha256).not.toBe(files.chunks[1]!.sha256);
    const bytes = await bytesOf(await signedFetch(emulator, files.chunks[1]!.contentLocation));
    expect(bytes.length).toBe(3 * 1024 * 1024 + 7);
    expect(sha256(bytes)).toBe(files.chunks[1]!.sha256);
  });

  it('answers ranges with 206 and Content-Range, and 416 past the end', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 2 * 1024 * 1024 + 10 }] });
    const chunk = files.chunks[0]!;
    const whole = await bytesOf(await signedFetch(emulator, chunk.contentLocation));
    const open = await signedFetch(emulator, chunk.contentLocation, { headers: { range: 'bytes=1048570-' } });
    expect(open.status).toBe(206);
    expect(open.headers.get('content-range')).toBe(`bytes 1048570-${chunk.size - 1}/${chunk.size}`);
    expect((await bytesOf(open)).equals(whole.subarray(1048570))).toBe(true);
    const closed = await signedFetch(emulator, chunk.contentLocation, { headers: { range: 'bytes=5-9' } });
    expect(closed.headers.get('content-length')).toBe('5');
    expect((await bytesOf(closed)).equals(whole.subarray(5, 10))).toBe(true);
    const beyond = await signedFetch(emulator, chunk.contentLocation, { headers: { range: `bytes=${chunk.size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${chunk.size}`);
    expect(emulator.requests.map((r) => [r.status, r.range])).toEqual([
      [200, undefined],
      [206, 'bytes=1048570-'],
      [206, 'bytes=5-9'],
      [416, `bytes=${chunk.size}-`],
    ]);
  });

  it('deletes a document, then answers 404; expire() and retention answer 404 too', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 2 });
    const [first, second] = files.chunks;
    expect((await signedFetch(emulator, first!.deleteLocation, { method: 'DELETE' })).status).toBe(200);
    expect(emulator.deletedDocuments).toContain(first!.documentId);
    expect((await signedFetch(emulator, first!.contentLocation)).status).toBe(404);
    emulator.expire(second!.documentId);
    const expired = await signedFetch(emulator, second!.metadataLocation);
    expect(expired.status).toBe(404);
    expect(await expired.json()).toMatchObject({ error: { code: 'NotFound' } });

    // Retention runs on the emulator's clock: a virtual one, moved by hand.
    const clock = {
      at: 0,
      now: () => clock.at,
      sleep: async (ms: number) => {
        clock.at += ms;
      },
    };
    const shortLived = await startEmulator({ retentionSeconds: 60, clock });
    try {
      const old = await shortLived.createRecordingFiles({});
      clock.at = 60_000;
      expect((await signedFetch(shortLived, old.chunks[0]!.contentLocation)).status).toBe(200);
      clock.at = 60_001;
      expect((await signedFetch(shortLived, old.chunks[0]!.contentLocation)).status).toBe(404);
    } finally {
      await shortLived.stop();
    }
  });

  it('serves the 2021 download paths on the endpoint', async () => {
    const files = await emulator.createRecordingFiles({ format: 'mp4' });
    const chunk = files.chunks[0]!;
    const content = await signedFetch(emulator, `${emulator.endpoint}recording/download/${chunk.documentId}`, {
      xMsHost: null,
    });
    expect(sha256(await bytesOf(content))).toBe(chunk.sha256);
    const metadata = await signedFetch(
      emulator,
      `${emulator.endpoint}recording/download/${chunk.documentId}/metadata`,
      {
        xMsHost: null,
      },
    );
    expect((await bytesOf(metadata)).equals(chunk.metadata)).toBe(true);
    expect(emulator.requests.map((r) => r.port)).toEqual(['endpoint', 'endpoint']);
  });
});

describe('authentication', () => {
  let location: string;
  beforeAll(async () => {
    location = (await emulator.createRecordingFiles({})).chunks[0]!.metadataLocation;
  });

  it.each([
    ['a wrong key', { accessKey: Buffer.from('not the key').toString('base64') }],
    ['a stale date', { date: new Date(Date.now() - 10 * 60 * 1000) }],
    ['a wrong x-ms-host', { xMsHost: 'other.communication.azure.com' }],
    ['no x-ms-host', { xMsHost: null }],
    ['the storage host signed instead of the endpoint', { signedHost: 'storage.asm.skype.com' }],
    ['a tampered content hash', { tamper: (h: Record<string, string>) => (h['x-ms-content-sha256'] = 'AAAA') }],
    ['no authorization', { tamper: (h: Record<string, string>) => delete h.authorization }],
  ])('refuses %s with 401 in the service error shape', async (_name, init) => {
    const response = await signedFetch(emulator, location, init);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'Unauthorized', message: expect.any(String) } });
    expect(emulator.requests.at(-1)).toMatchObject({ authorized: false, status: 401 });
  });

  it('refuses a tampered body on the control API', async () => {
    const url = `${emulator.endpoint}calling/recordings?api-version=2025-06-15`;
    const response = await signedFetch(emulator, url, {
      method: 'POST',
      body: JSON.stringify({ callLocator: { kind: 'serverCallLocator', serverCallId: 'abc' } }),
      xMsHost: null,
      sentBody: JSON.stringify({ callLocator: { kind: 'serverCallLocator', serverCallId: 'abd' } }),
    });
    expect(response.status).toBe(401);
  });

  it('accepts a configured bearer token (Entra mode) and logs the scheme and x-ms-host, never the token', async () => {
    const endpointHost = new URL(emulator.endpoint).host;
    const bearer = (token: string): Promise<Response> =>
      fetch(location, { headers: { authorization: `Bearer ${token}`, 'x-ms-host': endpointHost } });
    const refused = await bearer('storage-token');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    emulator.addEntraToken('storage-token');
    expect((await bearer('storage-token')).status).toBe(200);
    expect(emulator.requests.map((r) => [r.auth, r.authorized, r.status, r.xMsHost])).toEqual([
      ['bearer', false, 401, endpointHost],
      ['bearer', true, 200, endpointHost],
    ]);
    expect(emulator.requests[0]!.authFailure).toBe(
      'Bearer tokens are refused: this emulator accepts none (start it with entraTokens, or addEntraToken).',
    );
    expect(JSON.stringify(emulator.requests)).not.toContain('storage-token');
  });

  it('logs the HMAC scheme of a signed request', async () => {
    await (await signedFetch(emulator, location)).arrayBuffer();
    expect(emulator.requests.map((r) => [r.auth, r.authorized])).toEqual([['hmac', true]]);
  });
});

describe('faults', () => {
  const size = 2 * 1024 * 1024 + 5;
  let files: Awaited<ReturnType<AcsEmulator['createRecordingFiles']>>;
  let doc: string;
  beforeEach(async () => {
    files = await emulator.createRecordingFiles({ chunks: [{ size }] });
    doc = files.chunks[0]!.documentId;
  });
  const get = (): Promise<Response> => signedFetch(emulator, files.chunks[0]!.contentLocation);

  it('resets the connection after N body bytes, once', async () => {
    emulator.setFault(doc, { kind: 'reset', afterBytes: 100_000 });
    const first = await get();
    expect(first.status).toBe(200);
    await expect(first.arrayBuffer()).rejects.toThrow();
    expect(emulator.requests.at(-1)!.bytesSent).toBe(100_000);
    expect(sha256(await bytesOf(await get()))).toBe(files.chunks[0]!.sha256);
  });

  it('answers an injected status with Retry-After, `times` times', async () => {
    emulator.setFault(doc, { kind: 'status', status: 503, retryAfterSeconds: 2, times: 2 });
    for (let i = 0; i < 2; i++) {
      const response = await get();
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toMatchObject({ error: { code: 'ServiceUnavailable' } });
    }
    expect((await get()).status).toBe(200);
  });

  it('answers an HTML 400, an empty 200, and faults on metadata only when targeted', async () => {
    emulator.setFault(doc, { kind: 'html' });
    emulator.setFault(doc, { kind: 'empty' });
    emulator.setFault(doc, { kind: 'status', status: 500, target: 'metadata' });
    expect((await signedFetch(emulator, files.chunks[0]!.metadataLocation)).status).toBe(500);
    const html = await get();
    expect([html.status, html.headers.get('content-type')]).toEqual([400, 'text/html']);
    expect(await html.text()).toContain('<html>');
    const empty = await get();
    expect([empty.status, empty.headers.get('content-length'), (await bytesOf(empty)).length]).toEqual([200, '0', 0]);
    expect((await bytesOf(await get())).length).toBe(size);
  });

  it('redirects to the regional host, which serves the same path signed the same way', async () => {
    emulator.setFault(doc, { kind: 'redirect' });
    const redirect = await get();
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location).toBe(`${emulator.regionalOrigin}${new URL(files.chunks[0]!.contentLocation).pathname}`);
    const regional = await signedFetch(emulator, location);
    expect(sha256(await bytesOf(regional))).toBe(files.chunks[0]!.sha256);
    expect(emulator.requests.map((r) => [r.port, r.status])).toEqual([
      ['storage', 302],
      ['regional', 200],
    ]);
  });

  it('trickles bytes slowly', async () => {
    emulator.setFault(doc, { kind: 'trickle', bytesPerSecond: 10_000 });
    const response = await get();
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value!.length).toBeLessThanOrEqual(1000);
    await reader.cancel();
    emulator.clearFaults(doc);
  });
});

describe("recorded answers (the store as Microsoft's SDK tests recorded it)", () => {
  let recorded: AcsEmulator;
  beforeAll(async () => {
    recorded = await startEmulator({ storageAnswers: 'recorded' });
  });
  afterAll(() => recorded.stop());

  /** The headers of an answer, lower-cased, without the ones every HTTP server sends its own way. */
  const headersOf = (response: Response): Record<string, string> => {
    const all = Object.fromEntries([...response.headers.entries()]);
    for (const name of ['date', 'connection', 'keep-alive']) delete all[name];
    return all;
  };
  const recordedHeaders = (headers: Record<string, string>): Record<string, string> => {
    const { date: _date, ...rest } = headers;
    return rest;
  };

  it('answers a full GET of content and metadata as recorded: 200, Content-Range, octet-stream, no ETag', async () => {
    const [answer] = recordedAnswers(RECORDED_DOWNLOAD);
    const files = await recorded.createRecordingFiles({ format: 'wav' });
    const chunk = files.chunks[0]!;
    for (const [location, bytes] of [
      [chunk.metadataLocation, chunk.metadata.length],
      [chunk.contentLocation, chunk.size],
    ] as const) {
      const response = await signedFetch(recorded, location);
      expect(response.status).toBe(answer!.status);
      expect(headersOf(response)).toEqual({
        ...recordedHeaders(answer!.headers),
        'content-length': String(bytes),
        'content-range': `bytes 0-${bytes - 1}/${bytes}`,
      });
      expect((await bytesOf(response)).length).toBe(bytes);
    }
    const bytes = await bytesOf(await signedFetch(recorded, chunk.metadataLocation));
    expect(bytes.equals(chunk.metadata)).toBe(true);
  });

  it('redirects as recorded: 302, Content-Length 0, an absolute Location on another host, same path', async () => {
    const [redirect, regional] = recordedAnswers(RECORDED_REDIRECT);
    expect(new URL(redirect!.headers.location!).pathname).toBe(redirect!.path);
    const files = await recorded.createRecordingFiles({ chunks: [{ size: 1000 }] });
    const chunk = files.chunks[0]!;
    recorded.setFault(chunk.documentId, { kind: 'redirect', target: 'metadata' });
    const response = await signedFetch(recorded, chunk.metadataLocation);
    expect(response.status).toBe(redirect!.status);
    const { location, ...rest } = headersOf(response);
    const { location: _recordedLocation, ...recordedRest } = recordedHeaders(redirect!.headers);
    expect(rest).toEqual(recordedRest);
    expect(location).toBe(`${recorded.regionalOrigin}${new URL(chunk.metadataLocation).pathname}`);
    expect(new URL(location!).host).not.toBe(new URL(chunk.metadataLocation).host);
    const followed = await signedFetch(recorded, location!);
    expect([followed.status, followed.headers.get('content-range')]).toEqual([
      regional!.status,
      `bytes 0-${chunk.metadata.length - 1}/${chunk.metadata.length}`,
    ]);
    await followed.arrayBuffer();
  });

  it('refuses a bad signature as recorded: 401 with an empty body', async () => {
    const published = corpusPayload('sdk/js-callingserver.recording_unauthorized_download.json').recordings[0];
    const files = await recorded.createRecordingFiles({});
    const response = await signedFetch(recorded, files.chunks[0]!.metadataLocation, {
      accessKey: Buffer.from('not the key').toString('base64'),
    });
    expect(response.status).toBe(published.status);
    expect(await response.text()).toBe(published.response);
    expect(response.headers.get('content-length')).toBe(published.responseHeaders['content-length']);
  });

  it('answers a problem+json 401 in the shape the store sent it (Azure/azure-sdk-for-js#26142)', async () => {
    const published = corpusPayload('sdk/js-callautomation.issue-26142.download-401.problem.json');
    const files = await recorded.createRecordingFiles({});
    recorded.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 401, body: 'problem' });
    const response = await signedFetch(recorded, files.chunks[0]!.contentLocation);
    expect([response.status, response.headers.get('content-type')]).toEqual([401, 'application/problem+json']);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(Object.keys(published));
    const { instance, ...rest } = body;
    const { instance: publishedInstance, ...publishedRest } = published;
    expect(rest).toEqual(publishedRest);
    expect(String(instance).split('?')[0]).toBe(String(publishedInstance).split('?')[0]);
  });

  it('answers 410 Gone for a document expired so, with an empty body', async () => {
    const files = await recorded.createRecordingFiles({});
    recorded.expire(files.chunks[0]!.documentId, { status: 410 });
    const response = await signedFetch(recorded, files.chunks[0]!.contentLocation);
    expect([response.status, await response.text()]).toEqual([410, '']);
  });

  it('sends a body chunked without Content-Length (and Content-Range only when told), or cut before it ends', async () => {
    const files = await recorded.createRecordingFiles({ chunks: [{ size: 300_000 }] });
    const chunk = files.chunks[0]!;
    recorded.setFault(chunk.documentId, { kind: 'chunked' });
    recorded.setFault(chunk.documentId, { kind: 'chunked', contentRange: true });
    recorded.setFault(chunk.documentId, { kind: 'chunked', resetAfterBytes: 100_000 });
    const plain = await signedFetch(recorded, chunk.contentLocation);
    expect([plain.headers.get('transfer-encoding'), plain.headers.get('content-length')]).toEqual(['chunked', null]);
    expect(plain.headers.get('content-range')).toBeNull();
    expect(sha256(await bytesOf(plain))).toBe(chunk.sha256);
    const ranged = await signedFetch(recorded, chunk.contentLocation);
    expect([ranged.headers.get('content-length'), ranged.headers.get('content-range')]).toEqual([
      null,
      `bytes 0-${chunk.size - 1}/${chunk.size}`,
    ]);
    await ranged.arrayBuffer();
    const cut = await signedFetch(recorded, chunk.contentLocation);
    await expect(cut.arrayBuffer()).rejects.toThrow();
  });
});

describe('start-up', () => {
  it('fails on a port in use', async () => {
    const taken = Number(new URL(emulator.storageOrigin).port);
    await expect(startEmulator({ storagePort: taken })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
