import { RetryableError } from '../../../shared/errors';
import type { RecordingFiles } from '../../../dev/emulator';
import { CapturedLog } from '../../helpers/logs';
import {
  archiveHarness,
  BLOCK,
  blobBytes,
  blobSha256,
  listBlobs,
  readManifest,
  type ArchiveHarness,
} from '../../helpers/archiveHarness';

/**
 * The archiver against the ACS emulator (real HTTP, HMAC, ranges, faults) and Azurite. Every case checks that the
 * archive is byte-exact (SHA-256 of the blob equals the source's) and that the manifest tells the truth.
 */

let h: ArchiveHarness;
beforeAll(async () => {
  h = await archiveHarness();
});
afterAll(async () => h.stop());
beforeEach(() => h.emulator.clearRequests());

function keyOf(files: RecordingFiles): Promise<string> {
  return listBlobs(h.container, `${files.callId}/`).then((names) => {
    const manifest = names.find((n) => n.endsWith('/manifest.json'));
    if (!manifest) throw new Error(`no manifest for call ${files.callId}`);
    return manifest.split('/')[1]!;
  });
}

async function expectArchived(files: RecordingFiles): Promise<void> {
  const key = await keyOf(files);
  const manifest = await readManifest(h.container, files.callId, key);
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
    expect(await blobSha256(h.container, entry.blob)).toBe(chunk.sha256);
    expect(await blobBytes(h.container, entry.metadataBlob)).toEqual(chunk.metadata);
  }
}

function contentGets(documentId: string) {
  return h.emulator.requests.filter(
    (r) => r.method === 'GET' && r.path.includes(documentId) && !r.path.endsWith('acsmetadata'),
  );
}

describe('archiving a recording', () => {
  it('streams every chunk and its metadata into the documented layout, verified, with a complete manifest', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [{ media: 'mp4', endReason: 'ChunkMaximumSizeExceeded' }, { size: 3 * BLOCK + 123 }],
    });
    const log = new CapturedLog();
    const outcome = await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), log);
    expect(outcome.outcome).toBe('complete');
    await expectArchived(files);

    const key = await keyOf(files);
    expect(key).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(await listBlobs(h.container, `${files.callId}/`)).toEqual([
      `${files.callId}/${key}/chunk-0000.metadata.json`,
      `${files.callId}/${key}/chunk-0000.mp4`,
      `${files.callId}/${key}/chunk-0001.metadata.json`,
      `${files.callId}/${key}/chunk-0001.mp4`,
      `${files.callId}/${key}/manifest.json`,
    ]);
    const props = await h.container.getBlobClient(`${files.callId}/${key}/chunk-0001.mp4`).getProperties();
    expect(props.contentType).toBe('video/mp4');
    expect(Buffer.from(props.contentMD5!).toString('base64')).toBe(
      (await readManifest(h.container, files.callId, key)).chunks[1]!.md5,
    );
    expect(props.metadata).toMatchObject({
      sha256: files.chunks[1]!.sha256,
      documentid: files.chunks[1]!.documentId,
      chunkindex: '1',
    });
    const manifest = await readManifest(h.container, files.callId, key);
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      callId: files.callId,
      serverCallId: files.serverCallId,
      recordingId: files.recordingId,
      recordingKey: key,
      eventIds: [expect.any(String)],
    });
    expect(manifest.participants.length).toBeGreaterThan(0);
    // Every request to the source was signed and accepted.
    expect(h.emulator.requests.every((r) => r.authorized)).toBe(true);
    expect(log.text).toMatch(
      new RegExp(`call ${files.callId} recording ${key} chunk 1: archived ${3 * BLOCK + 123} bytes`),
    );
    // No pending marker or lock is left behind as work to do.
    expect(await listBlobs(h.container, '_pending/')).toEqual([]);
  });

  it('resumes after a connection reset with a Range request, without downloading staged bytes again', async () => {
    const size = 6 * BLOCK + 77;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const doc = files.chunks[0]!.documentId;
    h.emulator.setFault(doc, { kind: 'reset', afterBytes: Math.floor(2.5 * BLOCK) });
    await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), new CapturedLog());
    await expectArchived(files);
    const gets = contentGets(doc);
    expect(gets).toHaveLength(2);
    expect(gets[0]!.range).toBeUndefined();
    expect(gets[1]!.range).toBe(`bytes=${2 * BLOCK - 1}-`); // from the staged end, with a one-byte overlap
    const downloaded = gets.reduce((n, r) => n + r.bytesSent, 0);
    expect(downloaded - size).toBeLessThanOrEqual(BLOCK); // at most one block (plus the overlap byte) fetched twice
  });

  it('resumes a copy a crashed invocation left staged: Range from the staged end, hashes from storage', async () => {
    const size = 5 * BLOCK + 9;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const doc = files.chunks[0]!.documentId;
    // The first invocation gets 3.5 blocks in and then gives up (one attempt only), as if its process died.
    const { createArchiver } = await import('../../../shared/archive/createArchiver');
    const { loadConfig } = await import('../../../shared/config');
    const first = createArchiver(loadConfig({ ...h.env, ARCHIVE_MAX_ATTEMPTS: '1' }));
    h.emulator.setFault(doc, { kind: 'reset', afterBytes: Math.floor(3.5 * BLOCK) });
    const event = h.emulator.recordingFileStatusEvent(files);
    await expect(first.archiveEvent(event, new CapturedLog())).rejects.toBeInstanceOf(RetryableError);
    // A new archiver (no state in memory) picks it up.
    const second = createArchiver(loadConfig(h.env));
    expect((await second.archiveEvent(event, new CapturedLog())).outcome).toBe('complete');
    await expectArchived(files);
    const gets = contentGets(doc);
    expect(gets.map((r) => r.range)).toEqual([undefined, `bytes=${3 * BLOCK - 1}-`]);
  });

  it('finishes a copy whose every block was staged before a crash (only the commit was missing)', async () => {
    // Found by `npm run load`: resuming with `bytes=size-` was answered 416 forever.
    const size = 2 * BLOCK + 5;
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size }] });
    const chunk = files.chunks[0]!;
    const { SourceClient } = await import('../../../shared/acs/download');
    const { createAcsAuthenticator } = await import('../../../shared/acs/auth');
    const { blockIdFor } = await import('../../../shared/archive/blockPlan');
    const source = new SourceClient({
      endpoint: h.config.acs.endpoint,
      auth: createAcsAuthenticator(h.config.acs),
      allowedHosts: h.config.downloadHosts,
    });
    const pieces: Buffer[] = [];
    for await (const piece of (await source.open(chunk.contentLocation)).body as AsyncIterable<Buffer>)
      pieces.push(piece);
    const bytes = Buffer.concat(pieces);
    // Stage every block as a crashed invocation would have, under the name the archiver will use.
    const event = h.emulator.recordingFileStatusEvent(files);
    const { planFromEvent } = await import('../../../shared/events/recordingFileStatus');
    const { toEventEnvelope } = await import('../../../shared/events/envelope');
    const plan = planFromEvent(toEventEnvelope(event), {
      endpoint: h.config.acs.endpoint,
      dialect: 'calling',
      retentionHours: 24,
    });
    const blob = h.container.getBlockBlobClient(`${plan.callId}/${plan.recordingKey}/chunk-0000.mp4`);
    await h.container.createIfNotExists();
    for (let offset = 0; offset < size; offset += BLOCK) {
      const part = bytes.subarray(offset, Math.min(size, offset + BLOCK));
      await blob.stageBlock(blockIdFor(offset), part, part.length);
    }
    h.emulator.clearRequests();
    expect((await h.archiver.archiveEvent(event, new CapturedLog())).outcome).toBe('complete');
    await expectArchived(files);
    expect(contentGets(chunk.documentId).map((r) => r.range)).toEqual([`bytes=${size - 1}-`]);
  });

  it('archives the 2021 form from the endpoint download paths with the conversations dialect', async () => {
    const preview = await archiveHarness({ env: { ACS_RECORDING_API: 'conversations' } });
    try {
      const files = await preview.emulator.createRecordingFiles({ chunks: [{ media: 'mp4' }] });
      const event = preview.emulator.recordingFileStatusEvent(files, { form: '2021' }) as any;
      expect(event.data.recordingStorageInfo.recordingChunks[0].contentLocation).toBeUndefined();
      const outcome = await preview.archiver.archiveEvent(event, new CapturedLog());
      expect(outcome.outcome).toBe('complete');
      const paths = preview.emulator.requests.map((r) => `${r.port} ${r.path}`);
      expect(paths).toEqual(
        expect.arrayContaining([
          `endpoint /recording/download/${files.chunks[0]!.documentId}`,
          `endpoint /recording/download/${files.chunks[0]!.documentId}/metadata`,
        ]),
      );
      const names = await listBlobs(preview.container, `${files.callId}/`);
      const blob = names.find((n) => n.endsWith('chunk-0000.mp4'))!;
      expect(await blobSha256(preview.container, blob)).toBe(files.chunks[0]!.sha256);
    } finally {
      await preview.stop();
    }
  });

  it.each([
    [
      '503 twice',
      [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ],
    ],
    ['429 with Retry-After', [{ kind: 'status', status: 429, retryAfterSeconds: 1 }]],
    ['a 400 with an HTML body', [{ kind: 'html', status: 400 }]],
    ['an empty body', [{ kind: 'empty' }]],
    ['a 302 to a regional host', [{ kind: 'redirect' }]],
  ] as const)('survives %s', async (_name, faults) => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: 2 * BLOCK + 5 }] });
    const doc = files.chunks[0]!.documentId;
    for (const fault of faults) h.emulator.setFault(doc, { ...fault });
    const outcome = await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), new CapturedLog());
    expect(outcome.outcome).toBe('complete');
    await expectArchived(files);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest.chunks[0]!.attempts).toBeGreaterThanOrEqual(faults[0].kind === 'redirect' ? 1 : 2);
  });

  it('follows a redirect to the regional host and signs it as if sent to the endpoint', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    h.emulator.setFault(files.chunks[0]!.documentId, { kind: 'redirect' });
    await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), new CapturedLog());
    const regional = h.emulator.requests.filter((r) => r.port === 'regional');
    expect(regional.length).toBeGreaterThan(0);
    expect(regional.every((r) => r.authorized && r.status === 200)).toBe(true);
    await expectArchived(files);
  });

  it('records an expired chunk (404) as expired, fails the recording, and lets the invocation succeed', async () => {
    const files = await h.emulator.createRecordingFiles({
      chunks: [{ size: BLOCK, endReason: 'ChunkMaximumSizeExceeded' }, { size: BLOCK }],
    });
    h.emulator.expire(files.chunks[1]!.documentId);
    const log = new CapturedLog();
    const outcome = await h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), log);
    expect(outcome.outcome).toBe('failed');
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest.status).toBe('failed');
    expect(manifest.chunks[0]!.status).toBe('archived');
    expect(manifest.chunks[1]).toMatchObject({ status: 'expired', lastError: expect.stringMatching(/404/) });
    expect(log.errors().join('\n')).toMatch(new RegExp(`call ${files.callId} .*chunk 1: expired`));
    // Not retried: one request for the expired file.
    expect(contentGets(files.chunks[1]!.documentId).length + 0).toBeLessThanOrEqual(1);
  });

  it('refuses a location outside the allow-list before making any request', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const event = h.emulator.recordingFileStatusEvent(files) as any;
    const chunk = event.data.recordingStorageInfo.recordingChunks[0];
    chunk.contentLocation = 'https://attacker.example.com/v1/objects/x/content/video';
    h.emulator.clearRequests();
    const log = new CapturedLog();
    const outcome = await h.archiver.archiveEvent(event, log);
    expect(outcome.outcome).toBe('failed');
    expect(h.emulator.requests).toEqual([]);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest.chunks[0]).toMatchObject({
      status: 'failed',
      lastError: expect.stringMatching(/attacker\.example\.com is not in the download allow-list/),
    });
  });

  it('archives once under five concurrent duplicate deliveries', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: 4 * BLOCK }, { media: 'mp4' }] });
    const event = h.emulator.recordingFileStatusEvent(files);
    h.emulator.setFault(files.chunks[0]!.documentId, { kind: 'trickle', bytesPerSecond: 8 * BLOCK });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => h.archiver.archiveEvent(event, new CapturedLog())),
    );
    for (const result of results) {
      // Each delivery either saw the archive complete, or asks Event Grid to come back later.
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(RetryableError);
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    await expectArchived(files);
    for (const chunk of files.chunks) expect(contentGets(chunk.documentId)).toHaveLength(1);
  });

  it('downloads nothing when a complete recording is delivered again', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
    const event = h.emulator.recordingFileStatusEvent(files);
    await h.archiver.archiveEvent(event, new CapturedLog());
    const key = await keyOf(files);
    const before = await Promise.all(
      (await listBlobs(h.container, `${files.callId}/`)).map(async (n) => [
        n,
        (await h.container.getBlobClient(n).getProperties()).etag,
      ]),
    );
    h.emulator.clearRequests();
    const again = h.emulator.recordingFileStatusEvent(files, { id: 'redelivered-event' });
    const outcome = await h.archiver.archiveEvent(again, new CapturedLog());
    expect(outcome.outcome).toBe('complete');
    expect(h.emulator.requests).toEqual([]);
    const after = await Promise.all(
      (await listBlobs(h.container, `${files.callId}/`)).map(async (n) => [
        n,
        (await h.container.getBlobClient(n).getProperties()).etag,
      ]),
    );
    // Chunk blobs untouched; only the manifest records the new event id.
    expect(after.filter(([n]) => !n!.endsWith('manifest.json'))).toEqual(
      before.filter(([n]) => !n!.endsWith('manifest.json')),
    );
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
    const outcomes: string[] = [];
    for (const index of [2, 1, 0]) {
      const event = h.emulator.recordingFileStatusEvent(files, { chunkIndices: [index], id: `part-${index}` });
      const outcome = await h.archiver.archiveEvent(event, new CapturedLog());
      outcomes.push(outcome.outcome);
    }
    expect(outcomes).toEqual(['pending', 'pending', 'complete']);
    await expectArchived(files);
    const manifest = await readManifest(h.container, files.callId, await keyOf(files));
    expect(manifest.eventIds).toEqual(['part-2', 'part-1', 'part-0']);
  });

  it('asks for a redelivery when a fault outlasts its attempts, and finishes on the next delivery', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const doc = files.chunks[0]!.documentId;
    h.emulator.setFault(doc, { kind: 'status', status: 500, times: 100 });
    const event = h.emulator.recordingFileStatusEvent(files);
    const log = new CapturedLog();
    await expect(h.archiver.archiveEvent(event, log)).rejects.toBeInstanceOf(RetryableError);
    const key = await keyOf(files);
    const pending = await readManifest(h.container, files.callId, key);
    expect(pending.status).toBe('pending');
    // attempts counts requests to the source for the chunk: its metadata file once, its content 6 times.
    expect(pending.chunks[0]).toMatchObject({
      status: 'pending',
      attempts: 7,
      lastError: expect.stringMatching(/500/),
    });
    expect(await listBlobs(h.container, '_pending/')).toContain(`_pending/${files.callId}/${key}`);
    h.emulator.clearFaults(doc);
    expect((await h.archiver.archiveEvent(event, log)).outcome).toBe('complete');
    await expectArchived(files);
  });

  it('re-drives a pending recording from its manifest alone in the sweep', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
    h.emulator.setFault(files.chunks[1]!.documentId, { kind: 'status', status: 503, times: 100 });
    const event = h.emulator.recordingFileStatusEvent(files);
    await expect(h.archiver.archiveEvent(event, new CapturedLog())).rejects.toBeInstanceOf(RetryableError);
    h.emulator.clearFaults();
    const log = new CapturedLog();
    const report = await h.archiver.sweep(log);
    expect(report.redriven).toBeGreaterThanOrEqual(1);
    await expectArchived(files);
    expect(await listBlobs(h.container, `_pending/${files.callId}/`)).toEqual([]);
  });
});

describe('secrets', () => {
  it('never puts the access key, a signature or a token in logs or the manifest, even when every request fails', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    h.emulator.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 401, times: 100 });
    const log = new CapturedLog();
    await expect(h.archiver.archiveEvent(h.emulator.recordingFileStatusEvent(files), log)).rejects.toBeInstanceOf(
      RetryableError,
    );
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
    expect(log.text).toMatch(/refused the request \(401\): check the access key/);
  });
});

describe('malformed events', () => {
  it.each<[string, (e: any) => void]>([
    ['a missing data', (e) => delete e.data],
    ['a negative index', (e) => (e.data.recordingStorageInfo.recordingChunks[0].index = -1)],
    ['an index over 9999', (e) => (e.data.recordingStorageInfo.recordingChunks[0].index = 10_000)],
    [
      'a call id with path traversal',
      (e) => (e.subject = e.subject.replace(/^\/recording\/call\/[^/]+/, '/recording/call/..')),
    ],
    [
      'a documentId with path traversal',
      (e) => (e.data.recordingStorageInfo.recordingChunks[0].documentId = '../../manifest'),
    ],
    ['chunks of the wrong type', (e) => (e.data.recordingStorageInfo.recordingChunks = 'all of them')],
  ])('keeps %s under _rejected/ and writes nothing else', async (_name, mutate) => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: 1000 }] });
    const event = h.emulator.recordingFileStatusEvent(files) as any;
    mutate(event);
    const before = await listBlobs(h.container);
    const log = new CapturedLog();
    const outcome = await h.archiver.archiveEvent(event, log);
    expect(outcome.outcome).toBe('rejected');
    const after = await listBlobs(h.container);
    const added = after.filter((n) => !before.includes(n));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^_rejected\/\d{4}\/\d{2}\/\d{2}\/[A-Za-z0-9_-]+\.json$/);
    const record = JSON.parse((await blobBytes(h.container, added[0]!)).toString('utf8'));
    expect(record).toEqual({ reason: expect.any(String), receivedAt: expect.any(String), event });
    expect(log.errors()[0]).toMatch(/Rejected a malformed RecordingFileStatusUpdated event/);
    expect(h.emulator.requests).toEqual([]);
  });

  it('rejects a later event that moves an archived chunk to another document, leaving the archive untouched', async () => {
    const files = await h.emulator.createRecordingFiles({ chunks: [{ size: BLOCK }] });
    const event = h.emulator.recordingFileStatusEvent(files);
    await h.archiver.archiveEvent(event, new CapturedLog());
    const key = await keyOf(files);
    const manifestBefore = await readManifest(h.container, files.callId, key);
    const hostile = h.emulator.recordingFileStatusEvent(files, { id: 'hostile' }) as any;
    hostile.data.recordingStorageInfo.recordingChunks[0].documentId = 'another-document';
    const outcome = await h.archiver.archiveEvent(hostile, new CapturedLog());
    expect(outcome.outcome).toBe('rejected');
    expect(await readManifest(h.container, files.callId, key)).toEqual(manifestBefore);
    await expectArchived(files);
  });
});

describe('DELETE_SOURCE_AFTER_ARCHIVE', () => {
  it('deletes each chunk from the store after it is archived and verified, never before', async () => {
    const deleting = await archiveHarness({ env: { DELETE_SOURCE_AFTER_ARCHIVE: 'true' } });
    try {
      const files = await deleting.emulator.createRecordingFiles({ chunks: 2, chunkSize: BLOCK });
      h.emulator.clearRequests();
      const event = deleting.emulator.recordingFileStatusEvent(files);
      await deleting.archiver.archiveEvent(event, new CapturedLog());
      expect([...deleting.emulator.deletedDocuments].sort()).toEqual(files.chunks.map((c) => c.documentId).sort());
      for (const chunk of files.chunks) {
        const requests = deleting.emulator.requests.filter((r) => r.path.includes(chunk.documentId));
        const deleteAt = requests.findIndex((r) => r.method === 'DELETE');
        const lastGet = requests.map((r) => r.method).lastIndexOf('GET');
        expect(deleteAt).toBeGreaterThan(lastGet);
      }
      const manifest = await readManifest(
        deleting.container,
        files.callId,
        (await listBlobs(deleting.container, `${files.callId}/`))[0]!.split('/')[1]!,
      );
      expect(manifest.chunks.every((c) => c.status === 'archived' && typeof c.sourceDeletedAt === 'string')).toBe(true);
    } finally {
      await deleting.stop();
    }
  });
});
