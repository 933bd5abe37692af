import { createHash, randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { RecordingFiles } from '../../../../dev/emulator';
import { copyChunk } from '../../../../shared/archive/copyChunk';
import type { Manifest } from '../../../../shared/archive/manifest/manifest';
import { CapturedLog } from '../../../helpers/logs';
import {
  archiveHarness,
  azuriteConnectionString,
  blobBytes,
  blobSha256,
  listBlobs,
  readManifest,
  type ArchiveHarness,
} from '../../../helpers/archiveHarness';

/**
 * Bring your own storage, in this process against the ACS emulator and Azurite: a recording ACS wrote into the
 * customer's container (the emulator writes Learn's folder structure there) is verified and indexed in place, not
 * copied; a file that is missing, or not what the store declares, is copied from the store instead, and nothing in
 * the customer's container is ever changed.
 */

let h: ArchiveHarness;
let customer: ContainerClient;
let customerUrl: string;

beforeAll(async () => {
  const blobs = BlobServiceClient.fromConnectionString(azuriteConnectionString());
  customer = blobs.getContainerClient(`byos-${randomUUID().slice(0, 8)}`);
  await customer.create();
  customerUrl = customer.url;
  h = await archiveHarness({
    env: { RECORDING_EXTERNAL_STORAGE_URL: customerUrl, DELETE_SOURCE_AFTER_ARCHIVE: 'true' },
    emulator: { customerStorage: { connectionString: azuriteConnectionString() } },
  });
});
afterAll(async () => h?.stop());
beforeEach(() => h.emulator.clearRequests());

const byosEvent = (files: RecordingFiles) => h.emulator.recordingFileStatusEvent(files, { form: 'byos' });

async function manifestOf(files: RecordingFiles): Promise<Manifest> {
  const name = (await listBlobs(h.container, `${files.callId}/`)).find((n) => n.endsWith('/manifest.json'));
  if (!name) throw new Error(`no manifest for call ${files.callId}`);
  return readManifest(h.container, files.callId, name.split('/')[1]!);
}

/** What the store served of a document: its requests, and the bytes of its media it sent. */
function storeTraffic(documentId: string) {
  const requests = h.emulator.requests.filter((r) => r.path.includes(documentId));
  const content = requests.filter((r) => r.method === 'GET' && !r.path.endsWith('/acsmetadata'));
  return { requests, content, contentBytes: content.reduce((n, r) => n + r.bytesSent, 0) };
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

describe('a recording ACS wrote into the customer container', () => {
  it('is verified and indexed in place: nothing of its media is downloaded, nothing is copied', async () => {
    const participants = [`8:acs:${randomUUID()}`, `8:acs:${randomUUID()}`];
    const files = await h.emulator.createRecordingFiles({
      format: 'mp3',
      chunks: [{ media: 'mp3', endReason: 'ChunkMaximumSizeExceeded' }, { size: 3 * 1024 * 1024 + 17 }],
      participants,
    });
    const written = await h.emulator.writeCustomerFiles(files, customerUrl);
    const log = new CapturedLog();
    await h.archive(byosEvent(files), log);

    const manifest = await manifestOf(files);
    expect(manifest).toMatchObject({ status: 'complete', storageType: 'AzureBlob', formatType: 'mp3' });
    for (const chunk of files.chunks) {
      const entry = manifest.chunks[chunk.index]!;
      const inCustomer = written[chunk.index]!;
      expect(entry).toMatchObject({
        status: 'archived',
        location: 'external',
        blob: inCustomer.content,
        metadataBlob: inCustomer.metadata,
        blobUrl: customer.getBlobClient(inCustomer.content).url,
        metadataBlobUrl: customer.getBlobClient(inCustomer.metadata).url,
        size: chunk.size,
        sourceSize: chunk.size,
        sha256: chunk.sha256,
        metadataSize: chunk.metadata.length,
        metadataSha256: chunk.metadataSha256,
        format: 'mp3',
      });
      expect(entry.md5).toBe(
        createHash('md5')
          .update(await blobBytes(customer, inCustomer.content))
          .digest('base64'),
      );
      expect(entry.blobUrl).not.toContain('?');
      // The store was asked for the chunk's size by one byte, never for its media; its metadata file likewise.
      const traffic = storeTraffic(chunk.documentId);
      expect(traffic.content.length).toBeGreaterThan(0);
      expect(traffic.content.every((r) => r.range === `bytes=${chunk.size - 1}-` && r.bytesSent <= 1)).toBe(true);
      expect(traffic.requests.every((r) => r.method === 'GET' && r.bytesSent <= 1)).toBe(true);
    }
    // The archive holds the manifest only; the files stay where ACS wrote them, untouched.
    const folder = `${files.callId}/${manifest.recordingKey}`;
    expect(await listBlobs(h.container, `${folder}/`)).toEqual([`${folder}/manifest.json`]);
    expect(await blobSha256(customer, written[1]!.content)).toBe(files.chunks[1]!.sha256);
    // The participant index comes from the metadata files there.
    const markers = await listBlobs(h.control, 'participants/');
    for (const id of participants) expect(markers).toContain(`participants/${sha256(id)}/${folder}`);
    expect(manifest.participants.sort()).toEqual([...participants].sort());
    // DELETE_SOURCE_AFTER_ARCHIVE is on, but the only archive is in the customer's container: no DELETE is sent.
    expect(h.emulator.deletedDocuments).toEqual([]);
    expect(manifest.chunks[0]!.sourceDeleteError).toMatch(/^not deleted: the chunk is archived in place/);
    expect(log.text).toMatch(/chunk 0: verified in place at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/byos-/);
  });

  it('downloads nothing again when the event is delivered once more', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    await h.emulator.writeCustomerFiles(files, customerUrl);
    await h.archive(byosEvent(files));
    const before = await manifestOf(files);
    h.emulator.clearRequests();
    const again = await h.archive(h.emulator.recordingFileStatusEvent(files, { form: 'byos', id: 'redelivered' }));
    expect(again).toMatchObject({ outcome: 'accepted', enqueued: [] });
    expect(storeTraffic(files.chunks[0]!.documentId).requests).toEqual([]);
    const after = await manifestOf(files);
    expect(after.chunks).toEqual(before.chunks);
    expect(after.eventIds).toContain('redelivered');
  });

  it('is verified in place even when the store no longer has it; the manifest says its size was not compared', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    await h.emulator.writeCustomerFiles(files, customerUrl);
    h.emulator.expire(files.chunks[0]!.documentId);
    const log = new CapturedLog();
    await h.archive(byosEvent(files), log);
    const manifest = await manifestOf(files);
    expect(manifest.status).toBe('complete');
    expect(manifest.chunks[0]).toMatchObject({
      location: 'external',
      sha256: files.chunks[0]!.sha256,
      sourceSize: null,
    });
    expect(log.text).toMatch(/the ACS store no longer has the chunk/);
  });
});

describe('a file not (yet) in the customer container, or not what the store declares', () => {
  it('is looked for once more a lease period later, then copied from the store', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    const log = new CapturedLog();
    const drained = (await h.ingest(byosEvent(files), log)) && (await h.drain(log));
    expect(drained.map((d) => d.outcome)).toEqual(['busy']);
    const waiting = await manifestOf(files);
    expect(waiting.chunks[0]).toMatchObject({ status: 'pending', inPlaceWaitingSince: expect.any(String) });
    expect(storeTraffic(files.chunks[0]!.documentId).requests).toEqual([]);
    // The message comes back (here: handed over again at once) and still finds nothing: the store's copy is archived.
    const message = { callId: files.callId, recordingKey: waiting.recordingKey, index: 0 };
    expect(await copyChunk(h.services, message, { dequeueCount: 1 }, log)).toBe('archived');
    const manifest = await manifestOf(files);
    expect(manifest.status).toBe('complete');
    expect(manifest.chunks[0]).toMatchObject({
      location: 'archive',
      inPlaceFallback: expect.stringMatching(/^not in the customer container: no media file and metadata file/),
      blob: `${files.callId}/${manifest.recordingKey}/chunk-0000.mp3`,
    });
    expect(await blobSha256(h.container, manifest.chunks[0]!.blob)).toBe(files.chunks[0]!.sha256);
    expect(log.text).toMatch(/copied from the ACS store instead of verified in place/);
  });

  it('is verified in place when ACS writes it between the two looks', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'wav', chunks: [{ media: 'wav' }] });
    await h.ingest(byosEvent(files));
    expect((await h.drain()).map((d) => d.outcome)).toEqual(['busy']);
    await h.emulator.writeCustomerFiles(files, customerUrl);
    const { recordingKey } = await manifestOf(files);
    expect(
      await copyChunk(
        h.services,
        { callId: files.callId, recordingKey, index: 0 },
        { dequeueCount: 1 },
        new CapturedLog(),
      ),
    ).toBe('archived');
    const manifest = await manifestOf(files);
    expect(manifest.chunks[0]).toMatchObject({ location: 'external', format: 'wav', sha256: files.chunks[0]!.sha256 });
    expect(await listBlobs(h.container, `${files.callId}/${recordingKey}/`)).toEqual([
      `${files.callId}/${recordingKey}/manifest.json`,
    ]);
  });

  it('of another size than the store declares: copied from the store, the customer file left as it is', async () => {
    const files = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    const [written] = await h.emulator.writeCustomerFiles(files, customerUrl);
    const truncated = (await blobBytes(customer, written!.content)).subarray(0, 1000);
    await customer.getBlockBlobClient(written!.content).upload(truncated, truncated.length);
    const log = new CapturedLog();
    await h.archive(byosEvent(files), log);
    const manifest = await manifestOf(files);
    expect(manifest.status).toBe('complete');
    expect(manifest.chunks[0]).toMatchObject({
      location: 'archive',
      sha256: files.chunks[0]!.sha256,
      inPlaceFallback: `${written!.content} has 1000 bytes in the customer container; the ACS store declares ${files.chunks[0]!.size}`,
    });
    expect(await blobSha256(h.container, manifest.chunks[0]!.blob)).toBe(files.chunks[0]!.sha256);
    expect(await blobBytes(customer, written!.content)).toEqual(truncated);
  });

  it('longer than the store declares, or of the same size with other bytes at the end: copied from the store', async () => {
    const longer = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    const [a] = await h.emulator.writeCustomerFiles(longer, customerUrl);
    const padded = Buffer.concat([await blobBytes(customer, a!.content), Buffer.from('more')]);
    await customer.getBlockBlobClient(a!.content).upload(padded, padded.length);
    const changed = await h.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    const [b] = await h.emulator.writeCustomerFiles(changed, customerUrl);
    const flipped = Buffer.from(await blobBytes(customer, b!.content));
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0xff;
    await customer.getBlockBlobClient(b!.content).upload(flipped, flipped.length);

    await h.archive(byosEvent(longer));
    await h.archive(byosEvent(changed));
    const one = await manifestOf(longer);
    expect(one.chunks[0]).toMatchObject({
      location: 'archive',
      inPlaceFallback: expect.stringMatching(/the ACS store's file is shorter$/),
    });
    const two = await manifestOf(changed);
    expect(two.chunks[0]).toMatchObject({
      location: 'archive',
      inPlaceFallback: expect.stringMatching(/its last byte differs from the ACS store's$/),
    });
    for (const [files, manifest] of [
      [longer, one],
      [changed, two],
    ] as const) {
      expect(manifest.status).toBe('complete');
      expect(await blobSha256(h.container, manifest.chunks[0]!.blob)).toBe(files.chunks[0]!.sha256);
    }
  });

  it('when the customer container cannot be read: copied from the store, the reason recorded', async () => {
    const elsewhere = await archiveHarness({
      env: { RECORDING_EXTERNAL_STORAGE_URL: `${customerUrl}-gone` },
      emulator: { customerStorage: { connectionString: azuriteConnectionString() } },
    });
    try {
      const files = await elsewhere.emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
      await elsewhere.archive(elsewhere.emulator.recordingFileStatusEvent(files, { form: 'byos' }));
      const name = (await listBlobs(elsewhere.container, `${files.callId}/`)).find((n) => n.endsWith('manifest.json'))!;
      const manifest = await readManifest(elsewhere.container, files.callId, name.split('/')[1]!);
      expect(manifest.status).toBe('complete');
      expect(manifest.chunks[0]).toMatchObject({
        location: 'archive',
        inPlaceFallback: 'the customer container could not be listed (404 ContainerNotFound)',
      });
    } finally {
      await elsewhere.stop();
    }
  });
});
