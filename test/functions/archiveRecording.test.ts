import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator } from '../../dev/emulator';
import { azuriteConnectionString, blobSha256, listBlobs, readManifest } from '../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../helpers/hostProcess';

/**
 * archiveRecording and sweepArchives as Event Grid and the timer reach them: through the local host (its own
 * process, the compiled app), the ACS emulator and Azurite. Includes a real crash: the host is killed mid-copy.
 */

const root = path.join(__dirname, '..', '..');
const MiB = 1024 * 1024;
let emulator: AcsEmulator;
let container: ContainerClient;
let env: Record<string, string>;
let host: HostProcess;

beforeAll(async () => {
  emulator = await startEmulator();
  const name = `fn-${randomUUID().slice(0, 8)}`;
  container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(name);
  env = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    ARCHIVE_CONTAINER: name,
    ARCHIVE_BLOCK_SIZE_MIB: '1',
    ARCHIVE_BLOCKS_IN_FLIGHT: '1',
    ARCHIVE_RETRY_BASE_MS: '20',
    ARCHIVE_MAX_ATTEMPTS: '3',
    ARCHIVE_LOCK_SECONDS: '15',
  };
  host = await startHostProcess(root, env);
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

const deliver = (url: string, body: unknown, type = 'Notification') =>
  fetch(`${url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
    method: 'POST',
    headers: { 'aeg-event-type': type, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function folderOf(callId: string): Promise<string> {
  const manifest = (await listBlobs(container, `${callId}/`)).find((n) => n.endsWith('/manifest.json'));
  if (!manifest) throw new Error(`no manifest for ${callId}`);
  return path.posix.dirname(manifest);
}

describe('archiveRecording through the Functions host', () => {
  it('archives an Event Grid delivery and answers 202', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ media: 'mp4' }, { size: 2 * MiB }] });
    const response = await deliver(host.url, [emulator.recordingFileStatusEvent(files)]);
    expect(response.status).toBe(202);
    const folder = await folderOf(files.callId);
    const manifest = await readManifest(container, files.callId, path.posix.basename(folder));
    expect(manifest.status).toBe('complete');
    for (const chunk of files.chunks)
      expect(await blobSha256(container, `${folder}/chunk-000${chunk.index}.mp4`)).toBe(chunk.sha256);
    expect(host.lines.join('\n')).toMatch(
      /\[Information\] archiveRecording \([0-9a-f-]+\): call .* chunk 1: archived 2097152 bytes/,
    );
  });

  it('accepts a CloudEvents delivery', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const event = emulator.recordingFileStatusEvent(files, { schema: 'CloudEvents' });
    const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    const folder = await folderOf(files.callId);
    expect((await readManifest(container, files.callId, path.posix.basename(folder))).status).toBe('complete');
  });

  it('answers 202 for a malformed event (kept under _rejected/), 500 for a transient failure so Event Grid redelivers', async () => {
    const malformed = {
      id: 'bad-event-1',
      eventType: 'Microsoft.Communication.RecordingFileStatusUpdated',
      subject: '/recording/call/../x',
      eventTime: new Date().toISOString(),
      data: {},
    };
    expect((await deliver(host.url, [malformed])).status).toBe(202);
    expect((await listBlobs(container, '_rejected/')).some((n) => n.endsWith('/bad-event-1.json'))).toBe(true);

    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    emulator.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 503, times: 10 });
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(500);
    emulator.clearFaults();
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(202);
  });

  it('survives the host being killed mid-copy: the next run resumes from the staged bytes', async () => {
    const size = 6 * MiB;
    const files = await emulator.createRecordingFiles({ chunks: [{ size }] });
    const doc = files.chunks[0]!.documentId;
    emulator.setFault(doc, { kind: 'trickle', bytesPerSecond: 2 * MiB });
    emulator.clearRequests();
    const event = emulator.recordingFileStatusEvent(files);
    const first = deliver(host.url, [event]).catch(() => undefined); // the answer never comes: the host dies
    // Wait until some blocks are staged, then kill the host without warning.
    // (A blob with only uncommitted blocks is not listed: find it through the manifest, which is written first.)
    const chunkBlob = async () => `${await folderOf(files.callId)}/chunk-0000.mp4`;
    let staged = 0;
    for (let i = 0; i < 200 && staged < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const name = await chunkBlob().catch(() => undefined);
      if (!name) continue;
      const blocks = await container
        .getBlockBlobClient(name)
        .getBlockList('uncommitted')
        .catch(() => undefined);
      staged = blocks?.uncommittedBlocks?.length ?? 0;
    }
    expect(staged).toBeGreaterThanOrEqual(2);
    await host.kill();
    await first;
    emulator.clearFaults();

    host = await startHostProcess(root, env);
    // Event Grid redelivers; until the dead invocation's lease expires (15 s here) the delivery asks to be retried.
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 202; attempt++) {
      status = (await deliver(host.url, [event])).status;
      if (status !== 202) await new Promise((r) => setTimeout(r, 2000));
    }
    expect(status).toBe(202);
    const folder = await folderOf(files.callId);
    const manifest = await readManifest(container, files.callId, path.posix.basename(folder));
    expect(manifest.status).toBe('complete');
    expect(await blobSha256(container, `${folder}/chunk-0000.mp4`)).toBe(files.chunks[0]!.sha256);
    const gets = emulator.requests.filter(
      (r) => r.method === 'GET' && r.path.includes(doc) && !r.path.endsWith('acsmetadata'),
    );
    const resumed = gets[gets.length - 1]!;
    expect(resumed.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(resumed.range!)![0])).toBeGreaterThanOrEqual(2 * MiB - 1); // staged bytes were not fetched again
  }, 90_000);

  it('lets the sweeper finish a pending recording from its manifest alone', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: MiB });
    emulator.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 500, times: 10 });
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(500);
    emulator.clearFaults();
    expect((await fetch(`${host.url}/admin/functions/sweepArchives`, { method: 'POST', body: '{}' })).status).toBe(202);
    // The timer runs asynchronously (202 first): wait for the host to report the invocation finished.
    for (let i = 0; i < 600 && !host.lines.some((l) => l.includes("Executed 'sweepArchives'")); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const folder = await folderOf(files.callId);
    const status = (await readManifest(container, files.callId, path.posix.basename(folder))).status;
    if (status !== 'complete')
      throw new Error(`manifest is ${status}; host said:\n${host.lines.slice(-30).join('\n')}`);
    expect(host.lines.join('\n')).toMatch(/Sweep: \d+ pending recording\(s\) checked, \d+ re-driven/);
  });
});
