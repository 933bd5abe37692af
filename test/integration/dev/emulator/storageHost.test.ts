import { createHash } from 'node:crypto';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
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

describe('start-up', () => {
  it('fails on a port in use', async () => {
    const taken = Number(new URL(emulator.storageOrigin).port);
    await expect(startEmulator({ storagePort: taken })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
