import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
import { createAcsAuthenticator } from '../../../../shared/acs/auth';
import { createControlClient } from '../../../../shared/acs/controlClient';
import {
  AccessDeniedError,
  DeleteRefusedError,
  LocationRefusedError,
  SourceClient,
  SourceExpiredError,
} from '../../../../shared/acs/download';
import { loadConfig, type Config } from '../../../../shared/config';

/**
 * The signed requests to the recording store, against the ACS emulator and a hostile storage host: a server on an
 * allowed host (loopback, like the emulator's own storage host) that answers with redirects of its choosing.
 */

let emulator: AcsEmulator;
let config: Config;
let source: SourceClient;
let hostile: Server;
let hostileOrigin: string;
/** Where the hostile host redirects every request (307: the method, DELETE included, is kept). */
let redirectTo = '';

beforeAll(async () => {
  emulator = await startEmulator();
  config = loadConfig({
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: process.env.TEST_AZURITE_CONNECTION_STRING!,
  });
  source = new SourceClient({
    endpoint: config.acs.endpoint,
    auth: createAcsAuthenticator(config.acs),
    allowedHosts: config.downloadHosts,
  });
  hostile = createServer((_req, res) => res.writeHead(307, { location: redirectTo }).end());
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileOrigin = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => hostile?.close(resolve));
  await emulator?.stop();
});

describe('SourceClient redirects', () => {
  it('never follows a DELETE redirect to the ACS endpoint: no signed DELETE stops a recording', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = await createControlClient(config.acs).start({
      locator: { kind: 'serverCallId', id: serverCallId },
      recording: config.recording,
    });
    const recordingId = started.recordingId!;
    redirectTo = `${emulator.endpoint}calling/recordings/${encodeURIComponent(recordingId)}?api-version=2025-06-15`;
    emulator.clearRequests();
    // The deleteLocation itself is well-formed: /v1/objects/{documentId} on an allowed storage host.
    const error = await source.delete(`${hostileOrigin}/v1/objects/doc-1`, 'doc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeleteRefusedError);
    expect((error as Error).message).toBe(
      'delete refused before any request: deleteLocation is on the ACS endpoint host, not on a recording storage host',
    );
    expect(emulator.requests.filter((r) => r.port === 'endpoint')).toEqual([]);
    expect(emulator.recordings.get(recordingId)?.state).toBe('active');
  });

  it('never follows a DELETE redirect to another object', async () => {
    redirectTo = `${hostileOrigin}/v1/objects/someone-elses-document`;
    await expect(source.delete(`${hostileOrigin}/v1/objects/doc-2`, 'doc-2')).rejects.toThrow(
      'delete refused before any request: deleteLocation path /v1/objects/someone-elses-document is not /v1/objects/doc-2',
    );
  });

  it("checks every hop of a download against the chunk's document, when the caller names it", async () => {
    redirectTo = `${hostileOrigin}/v1/objects/someone-elses-document/content/video`;
    const error = await source
      .open(`${hostileOrigin}/v1/objects/doc-3/content/video`, 0, undefined, 'doc-3')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocationRefusedError);
    expect((error as Error).message).toMatch(/is not a published location of the chunk's document doc-3 /);
  });

  it("follows the storage host's own redirect to the regional host, and deletes the chunk's own object", async () => {
    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1024 });
    const chunk = files.chunks[0]!;
    emulator.setFault(chunk.documentId, { kind: 'redirect' });
    const download = await source.open(chunk.contentLocation, 0, undefined, chunk.documentId);
    download.body.resume();
    expect(download).toMatchObject({ status: 200, totalSize: 1024 });
    await source.delete(chunk.deleteLocation, chunk.documentId);
    expect(emulator.deletedDocuments).toContain(chunk.documentId);
  });
});

describe("SourceClient on the store's recorded answers", () => {
  beforeAll(() => emulator.setStorageAnswers('recorded'));
  afterAll(() => emulator.setStorageAnswers('emulator'));

  const read = async (body: NodeJS.ReadableStream): Promise<number> => {
    let n = 0;
    for await (const piece of body as AsyncIterable<Buffer>) n += piece.length;
    return n;
  };

  it('declares the size of a 200 with Content-Range and no ETag, and of a 206 from its Content-Range', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 5000 }] });
    const chunk = files.chunks[0]!;
    const whole = await source.open(chunk.contentLocation, 0, undefined, chunk.documentId);
    expect(whole).toMatchObject({ status: 200, start: 0, totalSize: 5000, etag: null });
    expect(whole.contentType).toBe('application/octet-stream');
    expect(await read(whole.body)).toBe(5000);
    const rest = await source.open(chunk.contentLocation, 4000, undefined, chunk.documentId);
    expect(rest).toMatchObject({ status: 206, start: 4000, totalSize: 5000 });
    expect(await read(rest.body)).toBe(1000);
  });

  it('opens a chunked body without a declared size; its end is where the chunked message ends', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 70_000 }] });
    const chunk = files.chunks[0]!;
    emulator.setFault(chunk.documentId, { kind: 'chunked' });
    const download = await source.open(chunk.contentLocation, 0, undefined, chunk.documentId);
    expect(download).toMatchObject({ status: 200, totalSize: null });
    expect(await read(download.body)).toBe(70_000);
    emulator.setFault(chunk.documentId, { kind: 'chunked', resetAfterBytes: 20_000 });
    const cut = await source.open(chunk.contentLocation, 0, undefined, chunk.documentId);
    await expect(read(cut.body)).rejects.toThrow();
  });

  it('names 410 as expired, and tells what a problem+json 401 said', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 2, chunkSize: 1000 });
    const [gone, denied] = files.chunks;
    emulator.expire(gone!.documentId, { status: 410 });
    const expired = await source.open(gone!.contentLocation).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(SourceExpiredError);
    expect((expired as Error).message).toMatch(/is gone from the recording store \(410\)/);
    emulator.setFault(denied!.documentId, { kind: 'status', status: 401, body: 'problem' });
    const refused = await source.open(denied!.contentLocation).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AccessDeniedError);
    expect((refused as Error).message).toMatch(
      /refused the request \(401; Unauthorized, traceId 00-dc4b9a78424b9805344e981f68cd46d2-6958107757aafcdb-00\)/,
    );
    emulator.setFault(denied!.documentId, { kind: 'status', status: 401 });
    const empty = await source.open(denied!.contentLocation).catch((e: unknown) => e);
    expect((empty as Error).message).toMatch(/refused the request \(401\): check the access key/);
  });
});
