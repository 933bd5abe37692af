import type { RecordingFiles } from '../../../../dev/emulator';
import { ArchiveStore } from '../../../../shared/archive/manifest/archiveStore';
import { copyChunk } from '../../../../shared/archive/copyChunk';
import { parseEventLine } from '../../../../shared/telemetry';
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
 * The archive path (ingest an event, then one queued copy per chunk) against the ACS emulator (real HTTP, HMAC, ranges,
 * faults) and Azurite (blobs and queues). Every case checks that the archive is byte-exact (SHA-256 of the blob equals
 * the source's) and that the manifest tells the truth.
 */

let h: ArchiveHarness;
beforeAll(async () => {
  h = await archiveHarness();
});
afterAll(async () => h.stop());
beforeEach(() => h.emulator.clearRequests());

async function keyOf(files: RecordingFiles): Promise<string> {
  const names = await listBlobs(h.container, `${files.callId}/`);
  const manifest = names.find((n) => n.endsWith('/manifest.json'));
  if (!manifest) throw new Error(`no manifest for call ${files.callId}`);
  return manifest.split('/')[1]!;
}

async function expectArchived(files: RecordingFiles, harness = h): Promise<void> {
  const names = await listBlobs(harness.container, `${files.callId}/`);
  const key = names.find((n) => n.endsWith('/manifest.json'))!.split('/')[1]!;
  const manifest = await readManifest(harness.container, files.callId, key);
  expect(manifest.status).toBe('complete');
  expect(manifest.chunks.map((c) => c.index)).toEqual(files.chunks.map((c) => c.index));
  for (const chunk of files.chunks) {
    const entry = manifest.chunks.find((c) => c.index === chunk.index)!;
    expect(entry).toMatchObject({
      status: 'archived',
      size: chunk.size,
      sha256: chunk.sha256,
      documentId: chunk.documentId,
    });
    expect(await blobSha256(harness.container, entry.blob)).toBe(chunk.sha256);
    expect(await blobBytes(harness.container, entry.metadataBlob)).toEqual(chunk.metadata);
  }
}

function contentGets(documentId: string) {
  return h.emulator.requests.filter(
    (r) => r.method === 'GET' && r.path.includes(documentId) && !r.path.endsWith('acsmetadata'),
  );
}

function events(log: CapturedLog, name: string) {
  return log.lines
    .map((l) => parseEventLine(l.text))
    .filter((e) => e?.name === name)
    .map((e) => e!.fields);
}

describe('archiving a recording through the queue', () => {
  it('queues one copy per chunk, then streams every chunk and its metadata into the documented layout, verified', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [{ media: 'mp4', endReason: 'ChunkMaximumSizeExceeded' }, { size: 3 * BLOCK + 123 }],
      participants: ['8:acs:alice', '8:acs:bob'],
    });
    const log = new CapturedLog();
    const ingested = await h.ingest(h.emulator.recordingFileStatusEvent(files), log);
    expect(ingested).toMatchObject({ outcome: 'accepted', enqueued: [0, 1] });
    // Nothing was downloaded to answer the event.
    expect(h.emulator.requests).toEqual([]);
    const key = await keyOf(files);
    expect((await readManifest(h.container, files.callId, key)).status).toBe('pending');
    expect(await listBlobs(h.control, 'pending/')).toContain(`pending/${files.callId}/${key}`);

    const drained = await h.drain(log);
    expect(drained.map((d) => d.outcome)).toEqual(['archived', 'archived']);
    await expectArchived(files);
    expect(key).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(await listBlobs(h.container, `${files.callId}/`)).toEqual([
      `${files.callId}/${key}/chunk-0000.metadata.json`,
      `${files.callId}/${key}/chunk-0000.mp4`,
      `${files.callId}/${key}/chunk-0001.metadata.json`,
      `${files.callId}/${key}/chunk-0001.mp4`,
      `${files.callId}/${key}/manifest.json`,
    ]);
    const props = await h.container.getBlobClient(`${files.callId}/${key}/chunk-0001.mp4`).getProperties();
    const manifest = await readManifest(h.container, files.callId, key);
    expect(props.contentType).toBe('video/mp4');
    expect(Buffer.from(props.contentMD5!).toString('base64')).toBe(manifest.chunks[1]!.md5);
    expect(props.metadata).toMatchObject({
      sha256: files.chunks[1]!.sha256,
      documentid: files.chunks[1]!.documentId,
      chunkindex: '1',
      size: String(3 * BLOCK + 123),
    });
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      callId: files.callId,
      serverCallId: files.serverCallId,
      recordingId: files.recordingId,
      recordingKey: key,
      eventIds: [expect.any(String)],
      participants: ['8:acs:alice', '8:acs:bob'],
    });
    // The participant index: one empty marker per participant, named by the SHA-256 of the id, never the id.
    expect(await listBlobs(h.control, 'participants/')).toEqual(
      expect.arrayContaining([
        `participants/4fa6f58f4ceb7a5f392c8c03b40c73e084a4cb2a406617bf55dba2d4d6b80d9a/${files.callId}/${key}`,
        `participants/c52249d4d070f22cb47efc2bbeb5215a0291a72dd57b99714fdac0ad46063b03/${files.callId}/${key}`,
      ]),
    );
    expect(h.emulator.requests.every((r) => r.authorized)).toBe(true);
    expect(events(log, 'ChunkArchived')).toContainEqual(
      expect.objectContaining({ callId: files.callId, recordingKey: key, index: 1, bytes: 3 * BLOCK + 123 }),
    );
    expect(events(log, 'RecordingComplete')).toEqual([
      expect.objectContaining({ callId: files.callId, recordingKey: key, chunks: 2 }),
    ]);
    // The bookkeeping is in the control container, and nothing is left to do (no marker, no copy lease).
    expect(await listBlobs(h.control, `pending/${files.callId}/`)).toEqual([]);
    expect(await listBlobs(h.control, `leases/${files.callId}/`)).toEqual([]);
    expect(await listBlobs(h.container, '_')).toEqual([]);
  });

  it('resumes after a connection reset with a Range request, without downloading staged bytes again', async () => {
    const size = 6 * BLOCK + 77;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const doc = files.chunks[0]!.documentId;
    h.emulator.setFault(doc, { kind: 'reset', afterBytes: Math.floor(2.5 * BLOCK) });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    await expectArchived(files);
    const gets = contentGets(doc);
    expect(gets.map((r) => r.range)).toEqual([undefined, `bytes=${2 * BLOCK - 1}-`]); // a one-byte overlap
    const downloaded = gets.reduce((n, r) => n + r.bytesSent, 0);
    expect(downloaded - size).toBeLessThanOrEqual(BLOCK); // at most one block (plus the overlap byte) fetched twice
  });

  it('resumes a copy a crashed copier left staged: Range from the staged end, hashes from storage', async () => {
    const size = 5 * BLOCK + 9;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const doc = files.chunks[0]!.documentId;
    // The first copier gets 3.5 blocks in and then gives up (one attempt per message, one message), as if it died.
    const first = await archiveHarness({ env: { ...h.env, ARCHIVE_MAX_ATTEMPTS: '1' } });
    try {
      h.emulator.setFault(doc, { kind: 'reset', afterBytes: Math.floor(3.5 * BLOCK) });
      await first.ingest(h.emulator.recordingFileStatusEvent(files));
      const [message] = await first.services.queue.queue
        .receiveMessages({ numberOfMessages: 1 })
        .then((r) => r.receivedMessageItems);
      const body = JSON.parse(Buffer.from(message!.messageText, 'base64').toString('utf8'));
      await expect(copyChunk(first.services, body, { dequeueCount: 1 }, new CapturedLog())).rejects.toMatchObject({
        code: 'NetworkError',
      });
      // A new copier (no state in memory) takes the message when it comes back.
      await first.services.queue.queue.updateMessage(message!.messageId, message!.popReceipt, undefined, 0);
      expect((await h.drain()).map((d) => d.outcome)).toEqual(['archived']);
      await expectArchived(files);
      expect(contentGets(doc).map((r) => r.range)).toEqual([undefined, `bytes=${3 * BLOCK - 1}-`]);
    } finally {
      await first.stop();
    }
  });

  it('copies the chunk again from byte 0 when the source changes version between a reset and the resume', async () => {
    const size = 4 * BLOCK + 3;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const doc = files.chunks[0]!.documentId;
    h.emulator.setFault(doc, { kind: 'reset', afterBytes: Math.floor(2.5 * BLOCK) });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    // The file changes (a new ETag and size) after the first response: the copier must notice on its resume.
    const changed = await h.emulator.changeVersion(doc, { size: 3 * BLOCK + 11, afterRequests: 1 });
    await h.drain();
    const key = await keyOf(files);
    const manifest = await readManifest(h.container, files.callId, key);
    expect(manifest.chunks[0]).toMatchObject({ status: 'archived', size: 3 * BLOCK + 11, sha256: changed.sha256 });
    expect(await blobSha256(h.container, manifest.chunks[0]!.blob)).toBe(changed.sha256);
    expect(contentGets(doc).map((r) => r.range)).toEqual([undefined, `bytes=${2 * BLOCK - 1}-`, undefined]);
  });

  it('archives the 2021 form from the endpoint download paths with the conversations dialect', async () => {
    const preview = await archiveHarness({ env: { ACS_RECORDING_API: 'conversations' } });
    try {
      const files = await preview.emulator.createRecordingFiles({ chunks: [{ media: 'mp4' }] });
      const event = preview.emulator.recordingFileStatusEvent(files, { form: '2021' }) as any;
      expect(event.data.recordingStorageInfo.recordingChunks[0].contentLocation).toBeUndefined();
      await preview.archive(event);
      const paths = preview.emulator.requests.map((r) => `${r.port} ${r.path}`);
      expect(paths).toEqual(
        expect.arrayContaining([
          `endpoint /recording/download/${files.chunks[0]!.documentId}`,
          `endpoint /recording/download/${files.chunks[0]!.documentId}/metadata`,
        ]),
      );
      await expectArchived(files, preview);
    } finally {
      await preview.stop();
    }
  });

  // attempts = requests to the source for the chunk: its metadata file once, then its content.
  it.each([
    [
      '503 twice',
      [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ],
      4,
    ],
    ['429 with Retry-After', [{ kind: 'status', status: 429, retryAfterSeconds: 1 }], 3],
    ['a 400 with an HTML body', [{ kind: 'html', status: 400 }], 3],
    ['an empty body', [{ kind: 'empty' }], 3],
    ['a 302 to a regional host', [{ kind: 'redirect' }], 2],
  ] as const)('survives %s', async (_name, faults, attempts) => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: 2 * BLOCK + 5 }] });
    const doc = files.chunks[0]!.documentId;
    for (const fault of faults) h.emulator.setFault(doc, { ...fault });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    await expectArchived(files);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest.chunks[0]!.attempts).toBe(attempts);
  });

  it('follows a redirect to the regional host and signs it as if sent to the endpoint', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    h.emulator.setFault(files.chunks[0]!.documentId, { kind: 'redirect' });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    const regional = h.emulator.requests.filter((r) => r.port === 'regional');
    expect(regional).toHaveLength(1);
    expect(regional[0]).toMatchObject({ authorized: true, status: 200 });
    await expectArchived(files);
  });

  it('records an expired chunk (404) as expired, fails the recording, and completes the message', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [{ size: BLOCK, endReason: 'ChunkMaximumSizeExceeded' }, { size: BLOCK }],
    });
    h.emulator.expire(files.chunks[1]!.documentId);
    const log = new CapturedLog();
    await h.ingest(h.emulator.recordingFileStatusEvent(files), log);
    expect((await h.drain(log)).map((d) => d.outcome).sort()).toEqual(['archived', 'failed']);
    const key = await keyOf(files);
    const manifest = await readManifest(h.container, files.callId, key);
    expect(manifest.status).toBe('failed');
    expect(manifest.chunks[0]!.status).toBe('archived');
    expect(manifest.chunks[1]).toMatchObject({
      status: 'expired',
      failureCode: 'SourceExpired',
      lastError: expect.stringMatching(/404/),
    });
    expect(events(log, 'RecordingFailed')).toEqual([
      expect.objectContaining({ callId: files.callId, recordingKey: key, failureCode: 'SourceExpired' }),
    ]);
    // Not retried: the metadata request of chunk 1 already met the 404, so its content was never asked for.
    expect(contentGets(files.chunks[1]!.documentId)).toHaveLength(0);
    expect(await listBlobs(h.control, `pending/${files.callId}/`)).toEqual([]);
  });

  it('refuses a location outside the allow-list before making any request', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const event = h.emulator.recordingFileStatusEvent(files) as any;
    const chunk = event.data.recordingStorageInfo.recordingChunks[0];
    chunk.contentLocation = `https://attacker.example.com/v1/objects/${chunk.documentId}/content/video`;
    await h.archive(event);
    expect(
      h.emulator.requests.filter((r) => r.path.includes(chunk.documentId) && !r.path.endsWith('acsmetadata')),
    ).toEqual([]);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest.chunks[0]).toMatchObject({
      status: 'failed',
      failureCode: 'LocationRefused',
      lastError: expect.stringMatching(/attacker\.example\.com is not in the download allow-list/),
    });
  });

  it.each([
    ['a foreign host', 'https://evil.example.com/v1/objects/DOC/content/video'],
    [
      'a foreign host with a trailing dot and an odd port',
      'https://evil.example.com.:8444/v1/objects/DOC/content/video',
    ],
    [
      'a host that only ends like an allowed one',
      'https://storage.asm.skype.com.evil.example/v1/objects/DOC/content/video',
    ],
    ['plain http off loopback', 'http://storage.asm.skype.com/v1/objects/DOC/content/video'],
  ])('refuses a redirect to %s at that hop, without a request', async (_name, target) => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const doc = files.chunks[0]!.documentId;
    h.emulator.setFault(doc, { kind: 'redirect', location: target.replace('DOC', doc), times: 100 });
    const log = new CapturedLog();
    await h.archive(h.emulator.recordingFileStatusEvent(files), log);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    // LocationRefused is decided before any request; a request to the target would have been a network error instead.
    expect(manifest.chunks[0]).toMatchObject({
      status: 'failed',
      failureCode: 'LocationRefused',
      lastError: expect.stringMatching(/^download refused before any request: /),
    });
    expect(contentGets(doc).map((r) => r.status)).toEqual([302]);
    expect(log.text).not.toContain('NetworkError');
  });

  it.each([
    ['another chunk', () => 'http://127.0.0.1:1/v1/objects/0-eus-d2-another/content/video'],
    ['a path without the document', () => 'http://127.0.0.1:1/calling/recordings/x'],
  ])('refuses a content location aimed at %s at ingest: failed, nothing queued, nothing sent', async (_name, aim) => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const event = h.emulator.recordingFileStatusEvent(files) as any;
    const chunk = event.data.recordingStorageInfo.recordingChunks[0];
    chunk.contentLocation = aim();
    const log = new CapturedLog();
    const outcome = await h.ingest(event, log);
    expect(outcome).toMatchObject({ outcome: 'accepted', enqueued: [] });
    expect(await h.drain()).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest).toMatchObject({ status: 'failed' });
    expect(manifest.chunks[0]).toMatchObject({ status: 'failed', failureCode: 'LocationMismatch' });
    expect(events(log, 'ChunkFailed')).toEqual([
      expect.objectContaining({ index: 0, failureCode: 'LocationMismatch' }),
    ]);
  });

  it('copies each chunk once under five concurrent duplicate deliveries', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: 4 * BLOCK }, { media: 'mp4' }] });
    const event = h.emulator.recordingFileStatusEvent(files);
    h.emulator.setFault(files.chunks[0]!.documentId, { kind: 'trickle', bytesPerSecond: 8 * BLOCK });
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => h.ingest(event)));
    expect(outcomes.every((o) => o.outcome === 'accepted')).toBe(true);
    const drained = await h.drain();
    expect(drained.filter((d) => d.outcome === 'archived')).toHaveLength(2);
    expect(drained.every((d) => d.outcome !== 'threw')).toBe(true);
    await expectArchived(files);
    for (const chunk of files.chunks) expect(contentGets(chunk.documentId)).toHaveLength(1);
  });

  it('does nothing for a duplicate that gets the lease just after the copy it duplicates finished', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: BLOCK });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    const key = await keyOf(files);
    // The duplicate read the manifest (chunk pending) before asking for the lease; the copy then finished.
    const stale = (await h.services.store.readManifest(files.callId, key))!;
    expect((await h.drain()).map((d) => d.outcome)).toEqual(['archived']);
    const archived = (await h.services.store.readManifest(files.callId, key))!;
    const store = new ArchiveStore(h.services.store.container);
    let reads = 0;
    store.readManifest = async (callId, recordingKey) =>
      ++reads === 1 ? stale : ArchiveStore.prototype.readManifest.call(store, callId, recordingKey);
    h.emulator.clearRequests();
    const log = new CapturedLog();
    const message = { callId: files.callId, recordingKey: key, index: 0 };
    expect(await copyChunk({ ...h.services, store }, message, { dequeueCount: 1 }, log)).toBe('done');
    expect(events(log, 'ChunkArchived')).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
    expect((await h.services.store.readManifest(files.callId, key))!.etag).toBe(archived.etag);
  });

  it('deletes the copy leases a crashed copier left once the recording is complete', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: 1000 });
    await h.ingest(h.emulator.recordingFileStatusEvent(files));
    const key = await keyOf(files);
    // A copier of chunk 1 died holding its lease, which has long expired.
    await h.control.getBlockBlobClient(`leases/${files.callId}/${key}/1`).upload('', 0);
    await h.drain();
    await expectArchived(files);
    expect(await listBlobs(h.control, `leases/${files.callId}/`)).toEqual([]);
  });

  it('downloads and queues nothing when a complete recording is delivered again', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
    await h.archive(h.emulator.recordingFileStatusEvent(files));
    const key = await keyOf(files);
    const etags = async () =>
      Promise.all(
        (await listBlobs(h.container, `${files.callId}/`))
          .filter((n) => !n.endsWith('manifest.json'))
          .map(async (n) => [n, (await h.container.getBlobClient(n).getProperties()).etag]),
      );
    const before = await etags();
    h.emulator.clearRequests();
    const again = await h.ingest(h.emulator.recordingFileStatusEvent(files, { id: 'redelivered-event' }));
    expect(again).toMatchObject({ outcome: 'accepted', enqueued: [] });
    expect(await h.drain()).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
    expect(await etags()).toEqual(before);
    expect((await readManifest(h.container, files.callId, key)).eventIds).toContain('redelivered-event');
  });

  it('assembles chunks that arrive in several events in reverse order', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [
        { size: BLOCK, endReason: 'ChunkMaximumSizeExceeded' },
        { size: BLOCK, endReason: 'ChunkMaximumSizeExceeded' },
        { size: BLOCK },
      ],
    });
    const statuses: string[] = [];
    for (const index of [2, 1, 0]) {
      await h.archive(h.emulator.recordingFileStatusEvent(files, { chunkIndices: [index], id: `part-${index}` }));
      statuses.push((await readManifest(h.container, files.callId, await keyOf(files))).status);
    }
    expect(statuses).toEqual(['pending', 'pending', 'complete']);
    await expectArchived(files);
    expect((await readManifest(h.container, files.callId, await keyOf(files))).eventIds).toEqual([
      'part-2',
      'part-1',
      'part-0',
    ]);
  });

  it('retries a failing copy through the queue, names the recording and its deadline when it goes to the poison queue', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const doc = files.chunks[0]!.documentId;
    h.emulator.setFault(doc, { kind: 'status', status: 500, times: 1000 });
    const log = new CapturedLog();
    await h.ingest(h.emulator.recordingFileStatusEvent(files), log);
    const drained = await h.drain(log);
    expect(drained.map((d) => [d.outcome, d.dequeueCount])).toEqual([
      ['threw', 1],
      ['threw', 2],
      ['threw', 3],
      ['threw', 4],
      ['threw', 5],
    ]);
    const key = await keyOf(files);
    const manifest = await readManifest(h.container, files.callId, key);
    expect(manifest.status).toBe('pending');
    expect(manifest.chunks[0]).toMatchObject({
      status: 'pending',
      failureCode: 'Http500',
      lastError: expect.stringMatching(/500/),
    });
    expect(events(log, 'ChunkRetrying')).toHaveLength(4);
    expect(events(log, 'ChunkPoisoned')).toEqual([
      expect.objectContaining({ callId: files.callId, recordingKey: key, index: 0, deadline: manifest.deadline }),
    ]);
    const poison = await h.services.queue.poison.peekMessages({ numberOfMessages: 32 });
    expect(poison.peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()))).toEqual([
      { callId: files.callId, recordingKey: key, index: 0 },
    ]);
    expect(await listBlobs(h.control, 'pending/')).toContain(`pending/${files.callId}/${key}`);
  });
});

describe('erased recordings', () => {
  it('never brings back a recording erased on request when its event is delivered again', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const event = h.emulator.recordingFileStatusEvent(files);
    await h.archive(event);
    const key = await keyOf(files);
    for (const name of await listBlobs(h.container, `${files.callId}/`)) await h.container.deleteBlob(name);
    await h.control.getBlockBlobClient(`erased/${files.callId}/${key}`).upload('', 0);
    h.emulator.clearRequests();
    expect(await h.ingest(event)).toMatchObject({ outcome: 'rejected', failureCode: 'Erased' });
    expect(await h.drain()).toEqual([]);
    expect(await listBlobs(h.container, `${files.callId}/`)).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
  });
});

describe('secrets', () => {
  it('never puts the access key, a signature or a token in logs or the manifest, even when every request fails', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    h.emulator.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 401, times: 1000 });
    const log = new CapturedLog();
    await h.archive(h.emulator.recordingFileStatusEvent(files), log);
    h.emulator.clearFaults();
    const manifestText = (await blobBytes(h.container, `${files.callId}/${await keyOf(files)}/manifest.json`)).toString(
      'utf8',
    );
    const key = h.env.ACS_CONNECTION_STRING!.split('accesskey=')[1]!;
    for (const text of [log.text, manifestText]) {
      expect(text).not.toContain(key);
      expect(text).not.toMatch(/Signature=|HMAC-SHA256|Bearer /);
      expect(text).not.toContain('?'); // no query strings (where signed URLs carry their secrets)
    }
    expect(log.text).toMatch(
      /refused the request \(401; Unauthorized: Injected fault: status 401\.\): check the access key/,
    );
    expect(events(log, 'AcsAccessDenied')[0]).toMatchObject({
      operation: 'download',
      status: 401,
      failureCode: 'AcsAccessDenied',
    });
  });
});

describe('DELETE_SOURCE_AFTER_ARCHIVE', () => {
  let deleting: ArchiveHarness;
  beforeAll(async () => {
    deleting = await archiveHarness({ env: { DELETE_SOURCE_AFTER_ARCHIVE: 'true' } });
  });
  afterAll(async () => deleting.stop());

  it('deletes each chunk from the store after it is archived and verified, never before', async () => {
    const files = await deleting.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
    await deleting.archive(deleting.emulator.recordingFileStatusEvent(files));
    expect([...deleting.emulator.deletedDocuments].sort()).toEqual(files.chunks.map((c) => c.documentId).sort());
    for (const chunk of files.chunks) {
      const requests = deleting.emulator.requests.filter((r) => r.path.includes(chunk.documentId));
      const deleteAt = requests.findIndex((r) => r.method === 'DELETE');
      expect(deleteAt).toBeGreaterThan(requests.map((r) => r.method).lastIndexOf('GET'));
    }
    const key = (await listBlobs(deleting.container, `${files.callId}/`))[0]!.split('/')[1]!;
    const manifest = await readManifest(deleting.container, files.callId, key);
    expect(manifest.chunks.every((c) => c.status === 'archived' && typeof c.sourceDeletedAt === 'string')).toBe(true);
  });

  it.each([
    ['the control API on the ACS endpoint', () => `${deleting.emulator.endpoint}calling/recordings/x`],
    ['another chunk', (files: RecordingFiles) => files.chunks[1]!.deleteLocation],
    [
      'its own document on the ACS endpoint host',
      (files: RecordingFiles) => `${deleting.emulator.endpoint}v1/objects/${files.chunks[0]!.documentId}`,
    ],
  ])('sends no DELETE for a deleteLocation aimed at %s, and records why', async (_name, aim) => {
    const files = await deleting.emulator.createRecordingFiles({ chunks: 2, chunkSize: 1000 });
    const event = deleting.emulator.recordingFileStatusEvent(files) as any;
    event.data.recordingStorageInfo.recordingChunks[0].deleteLocation = aim(files);
    deleting.emulator.clearRequests();
    await deleting.archive(event);
    const key = (await listBlobs(deleting.container, `${files.callId}/`))[0]!.split('/')[1]!;
    const manifest = await readManifest(deleting.container, files.callId, key);
    expect(manifest.status).toBe('complete');
    expect(manifest.chunks[0]).toMatchObject({
      sourceDeleteError: expect.stringMatching(/^delete refused before any request/),
    });
    expect(manifest.chunks[0]!.sourceDeletedAt ?? null).toBeNull();
    const deletes = deleting.emulator.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path)).toEqual([`/v1/objects/${files.chunks[1]!.documentId}`]);
  });
});
