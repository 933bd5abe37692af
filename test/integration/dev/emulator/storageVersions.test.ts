import { createHash } from 'node:crypto';
import { startEmulator, type AcsEmulator, type EmulatorClock } from '../../../../dev/emulator';
import { signedFetch } from '../../../helpers/signedFetch';

/** The store's newer faults: ETags and version changes, per-document rate limits, 401/403, the deletedata path. */

let emulator: AcsEmulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.clearRequests());

const sha256 = (bytes: Buffer | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const bytesOf = async (response: Response): Promise<Buffer> => Buffer.from(await response.arrayBuffer());
const ETAG = /^"0x8DC[0-9A-F]{13}"$/;

describe('versions', () => {
  it('serves an ETag per version; a changed version has new bytes, size and ETag from the next request on', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 1_048_576 }], seed: 'versions' });
    const chunk = files.chunks[0]!;
    expect(chunk.etag).toMatch(ETAG);

    const inFlight = await signedFetch(emulator, chunk.contentLocation);
    expect(inFlight.headers.get('etag')).toBe(chunk.etag);
    const reader = inFlight.body!.getReader();
    const first = await reader.read();
    const version = await emulator.changeVersion(chunk.documentId);
    expect(version).toEqual({
      documentId: chunk.documentId,
      version: 2,
      etag: expect.stringMatching(ETAG),
      size: 1_052_672,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(version.etag).not.toBe(chunk.etag);
    const rest: Uint8Array[] = [first.value!];
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest.push(next.value);
    expect(sha256(Buffer.concat(rest))).toBe(chunk.sha256);

    const changed = await signedFetch(emulator, chunk.contentLocation);
    expect([changed.status, changed.headers.get('etag'), changed.headers.get('content-length')]).toEqual([
      200,
      version.etag,
      '1052672',
    ]);
    const bytes = await bytesOf(changed);
    expect(sha256(bytes)).toBe(version.sha256);
    expect(version.sha256).not.toBe(chunk.sha256);

    const resumed = await signedFetch(emulator, chunk.contentLocation, { headers: { range: 'bytes=1048570-' } });
    expect([resumed.status, resumed.headers.get('content-range'), resumed.headers.get('etag')]).toEqual([
      206,
      'bytes 1048570-1052671/1052672',
      version.etag,
    ]);
    expect((await bytesOf(resumed)).equals(bytes.subarray(1_048_570))).toBe(true);
    expect(emulator.requests.map((r) => r.etag)).toEqual([chunk.etag, version.etag, version.etag]);
  });

  it('changes to the size asked for, and leaves the metadata (and its ETag) alone', async () => {
    const files = await emulator.createRecordingFiles({ format: 'mp3' });
    const chunk = files.chunks[0]!;
    const metadataEtag = (await signedFetch(emulator, chunk.metadataLocation)).headers.get('etag');
    expect(metadataEtag).toMatch(ETAG);
    const version = await emulator.changeVersion(chunk.documentId, { size: 5000 });
    expect([version.version, version.size]).toEqual([2, 5000]);
    const content = await signedFetch(emulator, chunk.contentLocation);
    expect(content.headers.get('content-length')).toBe('5000');
    expect(sha256(await bytesOf(content))).toBe(version.sha256);
    const metadata = await signedFetch(emulator, chunk.metadataLocation);
    expect(metadata.headers.get('etag')).toBe(metadataEtag);
    expect((await bytesOf(metadata)).equals(chunk.metadata)).toBe(true);
    expect((await emulator.changeVersion(chunk.documentId, { size: 10 })).version).toBe(3);
  });
});

describe('a version change after N requests', () => {
  it('answers N more content requests with the current version, then with the new one', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 30_000 }] });
    const chunk = files.chunks[0]!;
    emulator.setFault(chunk.documentId, { kind: 'reset', afterBytes: 10_000 });
    const version = await emulator.changeVersion(chunk.documentId, { size: 20_000, afterRequests: 2 });
    const reset = await signedFetch(emulator, chunk.contentLocation);
    await expect(reset.arrayBuffer()).rejects.toThrow();
    await (await signedFetch(emulator, chunk.metadataLocation)).arrayBuffer();
    const resumed = await signedFetch(emulator, chunk.contentLocation, { headers: { range: 'bytes=10000-' } });
    expect(resumed.headers.get('content-range')).toBe('bytes 10000-29999/30000');
    await resumed.arrayBuffer();
    const changed = await signedFetch(emulator, chunk.contentLocation, { headers: { range: 'bytes=10000-' } });
    expect(changed.headers.get('content-range')).toBe('bytes 10000-19999/20000');
    await changed.arrayBuffer();
    expect(emulator.requests.map((r) => [r.status, r.etag])).toEqual([
      [200, chunk.etag],
      [200, expect.stringMatching(ETAG)],
      [206, chunk.etag],
      [206, version.etag],
    ]);
  });
});

describe('rate limit', () => {
  /** A virtual clock: sleeping moves it forward at once, and every sleep is recorded. */
  function virtualClock(): EmulatorClock & { at: number; sleeps: number[] } {
    const clock = {
      at: 0,
      sleeps: [] as number[],
      now: () => clock.at,
      sleep: async (ms: number) => {
        clock.sleeps.push(ms);
        clock.at += ms;
      },
    };
    return clock;
  }

  it('paces a download at the rate, in slices of a tenth of a second', async () => {
    const clock = virtualClock();
    const paced = await startEmulator({ clock });
    try {
      const files = await paced.createRecordingFiles({ chunks: [{ size: 100_000 }] });
      paced.setRateLimit(files.chunks[0]!.documentId, 20_000);
      const bytes = await bytesOf(await signedFetch(paced, files.chunks[0]!.contentLocation));
      expect(sha256(bytes)).toBe(files.chunks[0]!.sha256);
      expect(clock.at).toBe(5000);
      expect(clock.sleeps).toEqual(Array(50).fill(100));
    } finally {
      await paced.stop();
    }
  });

  it('shares the cap between concurrent downloads of a document, and lifts it on request', async () => {
    const clock = virtualClock();
    const paced = await startEmulator({ clock });
    try {
      const files = await paced.createRecordingFiles({ chunks: [{ size: 40_000 }, { size: 40_000 }] });
      const [capped, free] = files.chunks;
      paced.setRateLimit(capped!.documentId, 10_000);
      const both = await Promise.all([
        signedFetch(paced, capped!.contentLocation).then(bytesOf),
        signedFetch(paced, capped!.contentLocation, { headers: { range: 'bytes=20000-' } }).then(bytesOf),
        signedFetch(paced, free!.contentLocation).then(bytesOf),
      ]);
      expect(both.map((b) => b.length)).toEqual([40_000, 20_000, 40_000]);
      expect(clock.at).toBe(6000);
      paced.setRateLimit(capped!.documentId, undefined);
      await bytesOf(await signedFetch(paced, capped!.contentLocation));
      expect(clock.at).toBe(6000);
    } finally {
      await paced.stop();
    }
  });

  it('streams while it throttles: the first bytes arrive long before the body is sent', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 1_048_576 }] });
    emulator.setRateLimit(files.chunks[0]!.documentId, 50_000);
    const response = await signedFetch(emulator, files.chunks[0]!.contentLocation);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value!.length).toBeLessThanOrEqual(5000);
    expect(emulator.requests.at(-1)!.bytesSent).toBeLessThan(1_048_576);
    await reader.cancel();
  });
});

describe('401 and 403', () => {
  it('answers injected 401 and 403 on downloads in the service error shape', async () => {
    const files = await emulator.createRecordingFiles({});
    const chunk = files.chunks[0]!;
    emulator.setFault(chunk.documentId, { kind: 'status', status: 401 });
    emulator.setFault(chunk.documentId, { kind: 'status', status: 403, target: 'metadata' });
    const unauthorized = await signedFetch(emulator, chunk.contentLocation);
    expect([unauthorized.status, await unauthorized.json()]).toEqual([
      401,
      { error: { code: 'Unauthorized', message: 'Injected fault: status 401.', target: null, details: [] } },
    ]);
    const forbidden = await signedFetch(emulator, chunk.metadataLocation);
    expect([forbidden.status, ((await forbidden.json()) as any).error.code]).toEqual([403, 'Forbidden']);
    expect((await signedFetch(emulator, chunk.contentLocation)).status).toBe(200);
  });
});

describe('delete', () => {
  it('also deletes by the published /content/deletedata path', async () => {
    // NOTE: the Event Grid data-plane example (Azure/azure-rest-api-specs specification/eventgrid/data-plane/
    // Microsoft.Communication/stable/2018-01-01/examples/cloud-events-schema/recording_file_status_updated.json)
    // gives deleteLocation as `.../v1/objects/{documentId}/content/deletedata`.
    const files = await emulator.createRecordingFiles({});
    const chunk = files.chunks[0]!;
    const deleted = await signedFetch(emulator, `${chunk.deleteLocation}/content/deletedata`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(emulator.deletedDocuments).toContain(chunk.documentId);
    expect((await signedFetch(emulator, chunk.contentLocation)).status).toBe(404);
    const getIt = await signedFetch(emulator, `${chunk.deleteLocation}/content/deletedata`);
    expect(getIt.status).toBe(405);
  });
});
