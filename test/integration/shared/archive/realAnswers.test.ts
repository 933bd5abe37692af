import type { RecordingFiles } from '../../../../dev/emulator';
import type { Manifest } from '../../../../shared/archive/manifest/manifest';
import { CapturedLog } from '../../../helpers/logs';
import {
  archiveHarness,
  BLOCK,
  blobBytes,
  blobSha256,
  listBlobs,
  readManifest,
  type ArchiveHarness,
} from '../../../helpers/archiveHarness';

/**
 * The archive against what the real service sends, beyond our first reading of it: events without format fields
 * (Learn's sample, the bring-your-own-storage schema), the store's recorded answers (Microsoft's SDK test recordings:
 * 200 with Content-Range, application/octet-stream, no ETag; 302 with Content-Length 0; empty and problem+json 401s;
 * 410), chunked bodies without a length, unmixed WAV, CloudEvents without time. Every archive is checked byte for
 * byte; every error path shows what the user sees and that nothing archived was lost or overwritten.
 */

let h: ArchiveHarness;
beforeAll(async () => {
  h = await archiveHarness();
});
afterAll(async () => h.stop());
beforeEach(() => h.emulator.clearRequests());

async function manifestOf(files: RecordingFiles, harness = h): Promise<Manifest> {
  const name = (await listBlobs(harness.container, `${files.callId}/`)).find((n) => n.endsWith('/manifest.json'));
  if (!name) throw new Error(`no manifest for call ${files.callId}`);
  return readManifest(harness.container, files.callId, name.split('/')[1]!);
}

async function expectByteExact(files: RecordingFiles, harness = h): Promise<Manifest> {
  const manifest = await manifestOf(files, harness);
  expect(manifest.status).toBe('complete');
  for (const chunk of files.chunks) {
    const entry = manifest.chunks[chunk.index]!;
    expect(entry).toMatchObject({ status: 'archived', size: chunk.size, sha256: chunk.sha256 });
    expect(await blobSha256(harness.container, entry.blob)).toBe(chunk.sha256);
    expect(await blobBytes(harness.container, entry.metadataBlob)).toEqual(chunk.metadata);
  }
  return manifest;
}

const contentTypeOf = async (name: string, harness = h) =>
  (await harness.container.getBlobClient(name).getProperties()).contentType;

function contentGets(documentId: string, harness = h) {
  return harness.emulator.requests.filter(
    (r) => r.method === 'GET' && r.path.includes(documentId) && !r.path.endsWith('acsmetadata'),
  );
}

describe('the format of a chunk', () => {
  it.each([
    ['wav', 'audio/wav'],
    ['mp3', 'audio/mpeg'],
  ] as const)(
    'comes from its metadata file when the event names none: a %s is stored as such, never as MP4',
    async (format, mime) => {
      const files = await h.emulator.createRecordingFiles({ format, chunks: 1 });
      const event = h.emulator.recordingFileStatusEvent(files, { formatFields: false }) as any;
      expect(event.data.recordingFormatType).toBeUndefined();
      await h.archive(event);
      const manifest = await expectByteExact(files);
      expect(manifest).toMatchObject({ formatType: format, format, formatSource: 'metadata' });
      expect(manifest.chunks[0]).toMatchObject({
        format,
        blob: expect.stringMatching(new RegExp(`chunk-0000\\.${format}$`)),
      });
      expect(await contentTypeOf(manifest.chunks[0]!.blob)).toBe(mime);
    },
  );

  it("takes a later event's format as the recording's; every chunk's extension agrees with it", async () => {
    const files = await h.emulator.createRecordingFiles({
      format: 'wav',
      chunks: [{ media: 'wav', endReason: 'ChunkMaximumSizeExceeded' }, { media: 'wav' }],
    });
    await h.archive(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [0], formatFields: false }));
    expect((await manifestOf(files)).formatType).toBe('wav');
    await h.archive(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [1] }));
    const manifest = await expectByteExact(files);
    expect(manifest).toMatchObject({ formatType: 'Wav', format: 'wav', formatSource: 'event' });
    for (const chunk of manifest.chunks) {
      expect(chunk.blob.split('.').pop()).toBe(manifest.formatType!.toLowerCase());
    }
  });

  it('is bin (application/octet-stream) when nothing names it, or the event names one this version does not know', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: 1, metadataFormat: null });
    await h.archive(h.emulator.recordingFileStatusEvent(files, { formatFields: false }));
    const manifest = await expectByteExact(files);
    expect(manifest).toMatchObject({ formatType: null, format: null });
    expect(manifest.chunks[0]!.blob).toMatch(/chunk-0000\.bin$/);
    expect(await contentTypeOf(manifest.chunks[0]!.blob)).toBe('application/octet-stream');

    const ogg = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: 1 });
    const event = h.emulator.recordingFileStatusEvent(ogg) as any;
    event.data.recordingFormatType = 'Ogg';
    await h.archive(event);
    const named = await expectByteExact(ogg);
    expect(named).toMatchObject({ formatType: 'Ogg', format: 'bin' });
    expect(named.chunks[0]!.blob).toMatch(/chunk-0000\.bin$/);
  });

  it('keeps a chunk archived before its format was known under its name, says so, and names the next ones right', async () => {
    const files = await h.emulator.createRecordingFiles({
      format: 'wav',
      metadataFormat: null,
      chunks: [{ media: 'wav', endReason: 'ChunkMaximumSizeExceeded' }, { media: 'wav' }],
    });
    await h.archive(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [0], formatFields: false }));
    const first = await manifestOf(files);
    const binary = first.chunks[0]!.blob;
    expect(binary).toMatch(/chunk-0000\.bin$/);
    const before = await h.container.getBlobClient(binary).getProperties();
    const log = new CapturedLog();
    await h.archive(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [1] }), log);
    const manifest = await expectByteExact(files);
    expect(manifest).toMatchObject({ formatType: 'Wav', format: 'wav' });
    expect(manifest.chunks.map((c) => [c.blob.split('/').pop(), c.format])).toEqual([
      ['chunk-0000.bin', 'bin'],
      ['chunk-0001.wav', 'wav'],
    ]);
    // Never renamed, overwritten or copied again: the same blob, the same bytes.
    const after = await h.container.getBlobClient(binary).getProperties();
    expect(after.etag).toBe(before.etag);
    expect(await listBlobs(h.container, `${files.callId}/`)).toHaveLength(5);
    expect(log.lines).toContainEqual({
      level: 'warn',
      text: `Call ${files.callId}, recording ${manifest.recordingKey}: chunk 0 was archived as ${binary} before its format was known; the events now say Wav. It keeps its name (an archived blob is never renamed or overwritten).`,
    });
  });
});

describe("the store's recorded answers", () => {
  let recorded: ArchiveHarness;
  beforeAll(async () => {
    recorded = await archiveHarness({ emulator: { storageAnswers: 'recorded' } });
  });
  afterAll(async () => recorded.stop());
  beforeEach(() => recorded.emulator.clearRequests());

  it('archives 200 + Content-Range + application/octet-stream without an ETag, the metadata as JSON', async () => {
    const files = await recorded.emulator.createRecordingFiles({
      chunks: [{ media: 'mp4', endReason: 'ChunkMaximumSizeExceeded' }, { size: 3 * BLOCK + 5 }],
    });
    await recorded.archive(recorded.emulator.recordingFileStatusEvent(files));
    const manifest = await expectByteExact(files, recorded);
    expect(recorded.emulator.requests.every((r) => r.status === 200 && r.etag === undefined)).toBe(true);
    expect(await contentTypeOf(manifest.chunks[0]!.metadataBlob, recorded)).toBe('application/json');
    expect(await contentTypeOf(manifest.chunks[0]!.blob, recorded)).toBe('video/mp4');
  });

  it.each([
    ['a 302 with Content-Length 0 to another host', { kind: 'redirect' }],
    ['a chunked body without Content-Length or Content-Range', { kind: 'chunked' }],
    ['a chunked body with Content-Range only', { kind: 'chunked', contentRange: true }],
    ['a chunked metadata file', { kind: 'chunked', target: 'metadata' }],
    ['an empty 401, once', { kind: 'status', status: 401 }],
    ['a problem+json 401, once', { kind: 'status', status: 401, body: 'problem' }],
  ] as const)('archives through %s', async (_name, fault) => {
    const files = await recorded.emulator.createRecordingFiles({ chunks: [{ size: 2 * BLOCK + 7 }] });
    recorded.emulator.setFault(files.chunks[0]!.documentId, { ...fault });
    await recorded.archive(recorded.emulator.recordingFileStatusEvent(files));
    await expectByteExact(files, recorded);
  });

  it('copies a chunked body cut mid-way again from byte 0: without a size or an ETag nothing proves a resume', async () => {
    const files = await recorded.emulator.createRecordingFiles({ chunks: [{ size: 3 * BLOCK + 1 }] });
    const doc = files.chunks[0]!.documentId;
    recorded.emulator.setFault(doc, { kind: 'chunked', resetAfterBytes: Math.floor(1.5 * BLOCK) });
    await recorded.archive(recorded.emulator.recordingFileStatusEvent(files));
    await expectByteExact(files, recorded);
    expect(contentGets(doc, recorded).map((r) => r.range)).toEqual([undefined, undefined]);
  });

  it('records what a persistent problem+json 401 says, trace id included, and archives nothing', async () => {
    const files = await recorded.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    recorded.emulator.setFault(files.chunks[0]!.documentId, {
      kind: 'status',
      status: 401,
      body: 'problem',
      target: 'metadata',
      times: 1000,
    });
    await recorded.archive(recorded.emulator.recordingFileStatusEvent(files));
    recorded.emulator.clearFaults();
    const manifest = await manifestOf(files, recorded);
    expect(manifest.status).toBe('pending');
    expect(manifest.chunks[0]).toMatchObject({
      status: 'pending',
      failureCode: 'AcsAccessDenied',
      lastError: expect.stringContaining(
        'refused the request (401; Unauthorized, traceId 00-dc4b9a78424b9805344e981f68cd46d2-6958107757aafcdb-00)',
      ),
    });
    expect(await listBlobs(recorded.container, `${files.callId}/`)).toEqual([
      `${files.callId}/${manifest.recordingKey}/manifest.json`,
    ]);
  });

  it('records 410 Gone as expired, like 404, and keeps the chunks it archived', async () => {
    const files = await recorded.emulator.createRecordingFiles({
      chunks: [{ size: BLOCK, endReason: 'ChunkMaximumSizeExceeded' }, { size: BLOCK }],
    });
    recorded.emulator.expire(files.chunks[1]!.documentId, { status: 410 });
    await recorded.archive(recorded.emulator.recordingFileStatusEvent(files));
    const manifest = await manifestOf(files, recorded);
    expect(manifest.status).toBe('failed');
    expect(manifest.chunks[1]).toMatchObject({
      status: 'expired',
      failureCode: 'SourceExpired',
      lastError: expect.stringMatching(/is gone from the recording store \(410\)/),
    });
    expect(manifest.chunks[0]!.status).toBe('archived');
    expect(await blobSha256(recorded.container, manifest.chunks[0]!.blob)).toBe(files.chunks[0]!.sha256);
  });

  it('waits as long as a Retry-After HTTP-date asks', async () => {
    const files = await recorded.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const retryAfterDate = new Date(Date.now() + 3000).toUTCString();
    recorded.emulator.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 503, retryAfterDate });
    const log = new CapturedLog();
    await recorded.archive(recorded.emulator.recordingFileStatusEvent(files), log);
    await expectByteExact(files, recorded);
    const waited = /answered 503\); retrying in (\d+) ms/.exec(log.text);
    // An HTTP-date has whole seconds: between 1 and 3 s from when the answer was read; the backoff alone is < 1 s.
    expect(Number(waited?.[1])).toBeGreaterThanOrEqual(1000);
  });
});

describe('what else the service sends', () => {
  it('maps the channels of an unmixed WAV to its participants', async () => {
    const participants = ['8:acs:alice', '8:acs:bob', '4:+14255550100'];
    const files = await h.emulator.createRecordingFiles({ format: 'wav', channelType: 'unmixed', participants });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    const manifest = await expectByteExact(files);
    expect(manifest.channelType).toBe('Unmixed');
    expect(manifest.channels).toEqual(participants.map((participantId, channel) => ({ channel, participantId })));
    const wav = await blobBytes(h.container, manifest.chunks[0]!.blob);
    expect([wav.subarray(0, 4).toString('latin1'), wav.readUInt16LE(22)]).toEqual(['RIFF', 3]);

    const mixed = await h.emulator.createRecordingFiles({ format: 'wav', participants });
    await h.archive(h.emulator.recordingFileStatusEvent(mixed));
    expect((await expectByteExact(mixed)).channels).toBeNull();
  });

  it('archives a bring-your-own-storage event as any other, and records its storageType', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: 2, chunkSize: BLOCK + 3 });
    const event = h.emulator.recordingFileStatusEvent(files, { form: 'byos' }) as any;
    expect(event.subject).toBe(`/recording/call/${files.callId}/serverCallId/${files.serverCallId}`);
    expect(Object.keys(event.data).slice(0, 2)).toEqual(['storageType', 'recordingId']);
    await h.archive(event);
    const manifest = await expectByteExact(files);
    expect(manifest).toMatchObject({
      storageType: 'AzureBlob',
      recordingId: files.recordingId,
      serverCallId: files.serverCallId,
      formatType: 'mp3',
    });
    expect(manifest.chunks.map((c) => c.blob.split('/').pop())).toEqual(['chunk-0000.mp3', 'chunk-0001.mp3']);
    const plain = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    await h.archive(h.emulator.recordingFileStatusEvent(plain));
    expect((await manifestOf(plain)).storageType).toBeNull();
  });

  it('accepts a CloudEvent without time: the receipt time stands in', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const event = h.emulator.recordingFileStatusEvent(files, { schema: 'CloudEvents', time: null }) as any;
    expect('time' in event).toBe(false);
    expect(await h.archive(event)).toMatchObject({ outcome: 'accepted' });
    const manifest = await expectByteExact(files);
    expect(manifest.deadline).toBe(
      new Date(Date.parse(files.recordingStartTime) + files.recordingDurationMs + 24 * 3_600_000).toISOString(),
    );
  });
});

describe('a deleteLocation that names another document', () => {
  let deleting: ArchiveHarness;
  beforeAll(async () => {
    deleting = await archiveHarness({ env: { DELETE_SOURCE_AFTER_ARCHIVE: 'true' } });
  });
  afterAll(async () => deleting.stop());

  it("is skipped as Learn's sample needs: recorded on the chunk, a warning naming the call, nothing deleted", async () => {
    const files = await deleting.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const other = await deleting.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const event = deleting.emulator.recordingFileStatusEvent(files) as any;
    // As in the Learn sample: another storage host, and another document than the chunk's own locations name.
    const otherDoc = other.chunks[0]!.documentId;
    event.data.recordingStorageInfo.recordingChunks[0].deleteLocation = `${deleting.emulator.regionalOrigin}/v1/objects/${otherDoc}`;
    deleting.emulator.clearRequests();
    const log = new CapturedLog();
    await deleting.archive(event, log);
    const manifest = await expectByteExact(files, deleting);
    const reason = `delete refused before any request: deleteLocation path /v1/objects/${otherDoc} is not /v1/objects/${files.chunks[0]!.documentId}`;
    expect(manifest.chunks[0]).toMatchObject({ sourceDeleteError: reason });
    expect(log.lines).toContainEqual({
      level: 'warn',
      text: `Call ${files.callId}, recording ${manifest.recordingKey}, chunk 0: archived and verified, but the source delete was skipped (${reason}); the store removes it after its retention time`,
    });
    expect(deleting.emulator.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(deleting.emulator.deletedDocuments).not.toContain(otherDoc);
  });
});
