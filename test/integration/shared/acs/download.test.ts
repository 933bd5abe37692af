import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
import { createAcsAuthenticator } from '../../../../shared/acs/auth';
import { createControlClient } from '../../../../shared/acs/controlClient';
import { DeleteRefusedError, LocationRefusedError, SourceClient } from '../../../../shared/acs/download';
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
    expect((error as Error).message).toMatch(/does not name the chunk's document doc-3$/);
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
