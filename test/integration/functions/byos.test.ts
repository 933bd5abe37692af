import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator, type RecordingFiles } from '../../../dev/emulator';
import { runCli } from '../../../cli/main';
import { verifyManifest } from '../../../cli/verifyManifest';
import type { Manifest } from '../../../shared/archive/manifest/manifest';
import { azuriteConnectionString, blobBytes, listBlobs, readManifest } from '../../helpers/archiveHarness';
import { eventually } from '../../helpers/eventually';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * Bring your own storage through the local host (the compiled app in its own process, the queue trigger over
 * Azurite), the ACS emulator and Azurite: the app starts the recording into the customer's container
 * (RECORDING_EXTERNAL_STORAGE_URL, an Azurite container), the emulator writes the files there as ACS does (Learn's
 * folder structure) and announces them in the bring-your-own-storage form, and the archiver verifies and indexes them
 * where they are. A file missing there, or of the wrong size, is copied from the store instead; nothing in the
 * customer's container is changed. The CLI's `verify` and participant export then read them where they are.
 */

let emulator: AcsEmulator;
let host: HostProcess;
let archive: ContainerClient;
let control: ContainerClient;
let customer: ContainerClient;
let env: Record<string, string>;

beforeAll(async () => {
  const id = randomUUID().slice(0, 8);
  const blobs = BlobServiceClient.fromConnectionString(azuriteConnectionString());
  archive = blobs.getContainerClient(`byos-arch-${id}`);
  control = blobs.getContainerClient(`byos-ctl-${id}`);
  customer = blobs.getContainerClient(`byos-customer-${id}`);
  await customer.create();
  emulator = await startEmulator({ customerStorage: { connectionString: azuriteConnectionString() } });
  env = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    AzureWebJobsStorage: azuriteConnectionString(),
    ARCHIVE_CONTAINER: archive.containerName,
    CONTROL_CONTAINER: control.containerName,
    ARCHIVE_QUEUE: `byos-${id}`,
    ARCHIVE_RETRY_BASE_MS: '20',
    // The second look for a file not yet there comes one lease period (plus 5 s) later.
    ARCHIVE_LOCK_SECONDS: '15',
    RECORDING_EXTERNAL_STORAGE_URL: customer.url,
    RECORDING_CONTENT_TYPE: 'audio',
    RECORDING_FORMAT_TYPE: 'mp3',
    ACS_RESOURCE_ID: emulator.resourceId,
    ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
    ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
  };
  host = await startHostProcess(REPO_ROOT, (port) => ({
    ...env,
    RECORDING_STATE_CALLBACK_URL: `http://127.0.0.1:${port}/api/recording-state`,
  }));
  emulator.setWebhooks({
    recordingFiles: [`${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`],
    callEvents: [`${host.url}/api/call-events`],
  });
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});
beforeEach(() => emulator.clearRequests());

const deliver = (event: unknown) =>
  fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
    method: 'POST',
    headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
    body: JSON.stringify([event]),
  });

async function manifestOf(callId: string): Promise<Manifest | undefined> {
  const name = (await listBlobs(archive, `${callId}/`)).find((n) => n.endsWith('/manifest.json'));
  return name ? readManifest(archive, callId, name.split('/')[1]!) : undefined;
}

/** The manifest once it is final; the host's last lines explain a timeout. */
async function finalManifest(callId: string, timeoutMs = 60_000): Promise<Manifest> {
  return eventually(
    `the manifest of ${callId} to be final`,
    async () => {
      const manifest = await manifestOf(callId);
      return manifest?.status !== 'pending' && manifest;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; host said:\n${host.lines.slice(-30).join('\n')}`);
  });
}

/** What the store sent of a document's media (the metadata file aside). */
function mediaBytesSent(documentId: string): number {
  return emulator.requests
    .filter((r) => r.path.includes(documentId) && !r.path.endsWith('/acsmetadata'))
    .reduce((n, r) => n + r.bytesSent, 0);
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'cra-byos-'));
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), isTTY: false, env, cwd };
  const code = await runCli(args, io);
  return { code, out: out.join('\n') };
}

describe('bring your own storage, end to end', () => {
  it('a call recorded into the customer container is verified in place: nothing downloaded, manifest complete, index written', async () => {
    const call = await emulator.startCall({ legs: 2 });
    const recording = await eventually('the recording to start', () =>
      [...emulator.recordings.values()].find((r) => r.serverCallId === call.serverCallId && r.state === 'active'),
    );
    expect(recording.externalStorage).toEqual({
      recordingStorageKind: 'azureBlobStorage',
      recordingDestinationContainerUrl: customer.url,
    });
    await emulator.endCall(call.serverCallId);
    const manifest = await finalManifest(call.callId);
    const files = recording.files!;
    expect(manifest).toMatchObject({ status: 'complete', storageType: 'AzureBlob', formatType: 'mp3' });
    expect(files.customerBlobs).toHaveLength(files.chunks.length);
    for (const chunk of files.chunks) {
      const written = files.customerBlobs![chunk.index]!;
      expect(manifest.chunks[chunk.index]).toMatchObject({
        status: 'archived',
        location: 'external',
        blob: written.content,
        blobUrl: customer.getBlobClient(written.content).url,
        metadataBlob: written.metadata,
        size: chunk.size,
        sourceSize: chunk.size,
        sha256: chunk.sha256,
        metadataSha256: chunk.metadataSha256,
      });
      // One byte of the media at most (the size check's range request), never the file.
      expect(mediaBytesSent(chunk.documentId)).toBeLessThanOrEqual(1);
      expect(sha256(await blobBytes(customer, written.content))).toBe(chunk.sha256);
    }
    const folder = `${call.callId}/${manifest.recordingKey}`;
    expect(await listBlobs(archive, `${folder}/`)).toEqual([`${folder}/manifest.json`]);
    const markers = await listBlobs(control, 'participants/');
    for (const participant of call.participants) {
      expect(markers).toContain(`participants/${sha256(participant)}/${folder}`);
    }

    // verify reads the chunk where it is; a changed byte there is a mismatch named by its URL.
    const verified = await cli('verify', call.callId, '--json');
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ recordings: 1, blobs: 2 * files.chunks.length, mismatched: 0 });
    expect(JSON.parse(verified.out).results[0]).toMatchObject({ location: 'external', ok: true });

    // A participant's export says where the chunks are, and counts none of them missing.
    const out = mkdtempSync(path.join(os.tmpdir(), 'cra-byos-export-'));
    const exported = await cli('participant', 'export', call.participants[0]!, '--out', out, '--json');
    expect(exported.code).toBe(0);
    const readme = readFileSync(path.join(out, 'README.txt'), 'utf8');
    expect(readme).toContain(`note: chunk 0 is in the customer's container at ${manifest.chunks[0]!.blobUrl}`);
    expect(readme).not.toMatch(/MISSING/);
    expect(readme).toContain('Missing files:    0');

    const name = files.customerBlobs![0]!.content;
    const bytes = Buffer.from(await blobBytes(customer, name));
    bytes[0] = bytes[0]! ^ 0xff;
    await customer.getBlockBlobClient(name).upload(bytes, bytes.length);
    const tampered = await cli('verify', call.callId);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain(`MISMATCH ${manifest.chunks[0]!.blobUrl}: sha256`);
  }, 120_000);

  it('a file of the wrong size in the customer container: the store copy is archived, the customer file left alone', async () => {
    const files = await emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    const [written] = await emulator.writeCustomerFiles(files, customer.url);
    const short = (await blobBytes(customer, written!.content)).subarray(0, 100);
    await customer.getBlockBlobClient(written!.content).upload(short, short.length);
    expect((await deliver(emulator.recordingFileStatusEvent(files, { form: 'byos' }))).status).toBe(202);
    const manifest = await finalManifest(files.callId);
    expect(manifest.status).toBe('complete');
    expect(manifest.chunks[0]).toMatchObject({
      location: 'archive',
      sha256: files.chunks[0]!.sha256,
      inPlaceFallback: `${written!.content} has 100 bytes in the customer container; the ACS store declares ${files.chunks[0]!.size}`,
    });
    expect(sha256(await blobBytes(archive, manifest.chunks[0]!.blob))).toBe(files.chunks[0]!.sha256);
    expect(await blobBytes(customer, written!.content)).toEqual(short);
    expect(host.lines.join('\n')).toMatch(/copied from the ACS store instead of verified in place/);
  });

  it('a file not there at the event: looked for once more; written meanwhile it is verified in place, else copied', async () => {
    const late = await emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    const never = await emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    for (const files of [late, never]) {
      expect((await deliver(emulator.recordingFileStatusEvent(files, { form: 'byos' }))).status).toBe(202);
    }
    const waited = (files: RecordingFiles) =>
      eventually(
        `the first look at ${files.callId}`,
        async () => (await manifestOf(files.callId))?.chunks[0]?.inPlaceWaitingSince,
      );
    await Promise.all([waited(late), waited(never)]);
    await emulator.writeCustomerFiles(late, customer.url);

    const [inPlace, copied] = await Promise.all([
      finalManifest(late.callId, 90_000),
      finalManifest(never.callId, 90_000),
    ]);
    expect(inPlace.chunks[0]).toMatchObject({
      status: 'archived',
      location: 'external',
      sha256: late.chunks[0]!.sha256,
    });
    expect(mediaBytesSent(late.chunks[0]!.documentId)).toBeLessThanOrEqual(1);
    expect(copied.chunks[0]).toMatchObject({
      status: 'archived',
      location: 'archive',
      sha256: never.chunks[0]!.sha256,
      inPlaceFallback: expect.stringMatching(/^not in the customer container: no media file and metadata file/),
    });
    expect(mediaBytesSent(never.chunks[0]!.documentId)).toBeGreaterThanOrEqual(never.chunks[0]!.size);
  }, 150_000);

  it('verify reports a chunk it cannot read in the customer container as there and not checked, never missing', async () => {
    const files = await emulator.createRecordingFiles({ format: 'mp3', chunks: [{ media: 'mp3' }] });
    await emulator.writeCustomerFiles(files, customer.url);
    await deliver(emulator.recordingFileStatusEvent(files, { form: 'byos' }));
    const manifest = await finalManifest(files.callId);
    const checks = await verifyManifest(archive, manifest, undefined, () => {
      throw new Error('no credential for that account');
    });
    expect(checks).toEqual([
      expect.objectContaining({
        location: 'external',
        url: manifest.chunks[0]!.blobUrl,
        ok: true,
        unchecked: 'no credential for that account',
      }),
      expect.objectContaining({ location: 'external', url: manifest.chunks[0]!.metadataBlobUrl, ok: true }),
    ]);
    expect(checks.some((c) => c.problems.length > 0)).toBe(false);
  });
});
