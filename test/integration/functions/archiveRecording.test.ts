import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator, type RecordingFiles } from '../../../dev/emulator';
import { parseEventLine } from '../../../shared/telemetry';
import { azuriteConnectionString, blobSha256, listBlobs, readManifest } from '../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { REPO_ROOT } from '../../helpers/paths';
import { eventually } from '../../helpers/eventually';

/**
 * archiveRecording, archiveChunk and sweepArchives as Event Grid, the Storage queue and the timer reach them: through
 * the local host (its own process, the compiled app, the queue trigger over Azurite's queue service), the ACS
 * emulator and Azurite. Includes real crashes: the host is killed (SIGKILL) at each named point of the flow.
 */

const root = REPO_ROOT;
const MiB = 1024 * 1024;
let emulator: AcsEmulator;
let container: ContainerClient;
let control: ContainerClient;
let env: Record<string, string>;
let host: HostProcess;

beforeAll(async () => {
  emulator = await startEmulator();
  const id = randomUUID().slice(0, 8);
  const blobs = BlobServiceClient.fromConnectionString(azuriteConnectionString());
  container = blobs.getContainerClient(`fn-${id}`);
  control = blobs.getContainerClient(`fn-control-${id}`);
  env = {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    AzureWebJobsStorage: azuriteConnectionString(),
    ARCHIVE_CONTAINER: container.containerName,
    CONTROL_CONTAINER: control.containerName,
    ARCHIVE_QUEUE: `fn-${id}`,
    ARCHIVE_BLOCK_SIZE_MIB: '1',
    ARCHIVE_BLOCKS_IN_FLIGHT: '1',
    ARCHIVE_RETRY_BASE_MS: '20',
    ARCHIVE_MAX_ATTEMPTS: '3',
    ARCHIVE_LOCK_SECONDS: '15',
    // A killed host's queue messages come back after this (10 min in Azure), so crash tests take seconds.
    LOCAL_HOST_QUEUE_VISIBILITY_SECONDS: '6',
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

/** Polls the manifest until it is final; the host's last lines explain a timeout. */
async function finalManifest(files: RecordingFiles, timeoutMs = 60_000, h = host) {
  let status = 'missing';
  return eventually(
    `the manifest of ${files.callId} to be final`,
    async () => {
      const folder = await folderOf(files.callId).catch(() => undefined);
      const manifest = folder ? await readManifest(container, files.callId, path.posix.basename(folder)) : undefined;
      status = manifest?.status ?? 'missing';
      return manifest?.status !== 'pending' && manifest;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}: it is ${status}; host said:\n${h.lines.slice(-30).join('\n')}`);
  });
}

async function expectArchived(files: RecordingFiles): Promise<void> {
  const manifest = await finalManifest(files);
  expect(manifest.status).toBe('complete');
  for (const chunk of files.chunks) {
    expect(await blobSha256(container, manifest.chunks[chunk.index]!.blob)).toBe(chunk.sha256);
  }
}

function contentGets(documentId: string) {
  return emulator.requests.filter(
    (r) => r.method === 'GET' && r.path.includes(documentId) && !r.path.endsWith('acsmetadata'),
  );
}

describe('archiveRecording and archiveChunk through the Functions host', () => {
  it('answers the delivery before a byte of the chunk is downloaded, then copies it from the queue', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ media: 'mp4' }, { size: 64 * MiB }] });
    const big = files.chunks[1]!.documentId;
    emulator.setRateLimit(big, 4 * MiB); // a slow source: the copy takes many seconds
    emulator.clearRequests();
    const response = await deliver(host.url, [emulator.recordingFileStatusEvent(files)]);
    expect(response.status).toBe(202);
    // Answered, and the 64 MiB chunk is nowhere near copied: the answer did not wait for it.
    const pending = await readManifest(container, files.callId, path.posix.basename(await folderOf(files.callId)));
    expect(pending.chunks[1]!.status).toBe('pending');
    expect(contentGets(big).reduce((n, r) => n + r.bytesSent, 0)).toBeLessThan(64 * MiB);
    emulator.setRateLimit(big, 0);
    await expectArchived(files);
    const ack = host.lines.map((l) => parseEventLine(l)).find((e) => e?.name === 'ArchiveAcknowledged');
    expect(ack?.fields).toMatchObject({ callId: files.callId, chunksKnown: 2, chunksEnqueued: 2, status: 'pending' });
    expect(host.lines.join('\n')).toMatch(/Executing 'archiveChunk' \(Reason='New queue message detected on/);
  }, 120_000);

  it('accepts a CloudEvents delivery', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const event = emulator.recordingFileStatusEvent(files, { schema: 'CloudEvents' });
    const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    await expectArchived(files);
  });

  it('answers 202 for a malformed event and keeps it under _rejected/', async () => {
    const malformed = {
      id: 'bad-event-1',
      eventType: 'Microsoft.Communication.RecordingFileStatusUpdated',
      subject: '/recording/call/../x',
      eventTime: new Date().toISOString(),
      data: {},
    };
    expect((await deliver(host.url, [malformed])).status).toBe(202);
    expect(await listBlobs(container, '_rejected/')).toEqual([
      expect.stringMatching(/^_rejected\/\d{4}\/\d{2}\/\d{2}\/bad-event-1\.json$/),
    ]);
  });

  it('answers 500 when the queue cannot be reached, with the intent already recorded for the sweeper', async () => {
    const broken = await startHostProcess(root, {
      ...env,
      AzureWebJobsStorage: azuriteConnectionString().replace(
        /QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/,
        'QueueEndpoint=http://127.0.0.1:9',
      ),
    });
    try {
      const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
      expect((await deliver(broken.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(500);
      const folder = await folderOf(files.callId);
      expect((await readManifest(container, files.callId, path.posix.basename(folder))).status).toBe('pending');
      expect(await listBlobs(control, `pending/${files.callId}/`)).toEqual([`pending/${folder}`]);
    } finally {
      await broken.stop();
    }
  });

  it('copies the chunks of one recording in parallel', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 4, chunkSize: 4 * MiB });
    for (const chunk of files.chunks) emulator.setRateLimit(chunk.documentId, 8 * MiB);
    emulator.clearRequests();
    const mark = host.lines.length; // earlier cases' invocations do not count
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(202);
    await expectArchived(files);
    // The host ran several archiveChunk invocations at once (host.json batchSize 4): count them from its own lines.
    let running = 0;
    let most = 0;
    for (const line of host.lines.slice(mark)) {
      if (line.includes("Executing 'archiveChunk'")) most = Math.max(most, ++running);
      else if (line.includes("Executed 'archiveChunk'")) running--;
    }
    expect(most).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('what the real service sends, through the Functions host', () => {
  const deliverCloudEvent = (url: string, event: unknown) =>
    fetch(`${url}/runtime/webhooks/eventgrid?functionName=archiveRecording`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(event),
    });
  const contentTypeOf = async (name: string) => (await container.getBlobClient(name).getProperties()).contentType;

  it("names a WAV after its metadata file when the event names no format (Learn's sample), and agrees with a later one", async () => {
    const files = await emulator.createRecordingFiles({
      format: 'wav',
      chunks: [{ media: 'wav', endReason: 'ChunkMaximumSizeExceeded' }, { media: 'wav' }],
    });
    const unnamed = emulator.recordingFileStatusEvent(files, { chunkIndices: [0], formatFields: false }) as any;
    expect(unnamed.data.recordingFormatType).toBeUndefined();
    expect((await deliver(host.url, [unnamed])).status).toBe(202);
    const folder = await folderOf(files.callId);
    await eventually('chunk 0 archived', async () => {
      const manifest = await readManifest(container, files.callId, path.posix.basename(folder));
      return manifest.chunks[0]!.status === 'archived';
    });
    const first = await readManifest(container, files.callId, path.posix.basename(folder));
    expect(first).toMatchObject({ formatType: 'wav', format: 'wav' });
    expect(first.chunks[0]!.blob).toBe(`${folder}/chunk-0000.wav`);
    expect(await contentTypeOf(first.chunks[0]!.blob)).toBe('audio/wav');
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files, { chunkIndices: [1] })])).status).toBe(
      202,
    );
    await expectArchived(files);
    const manifest = await finalManifest(files);
    expect(manifest.formatType).toBe('Wav');
    expect(manifest.chunks.map((c) => c.blob)).toEqual([`${folder}/chunk-0000.wav`, `${folder}/chunk-0001.wav`]);
  });

  it("archives byte-exact under the store's recorded answers: Content-Range, octet-stream, no ETag, a 302, chunked bodies, 401s", async () => {
    emulator.setStorageAnswers('recorded');
    try {
      const files = await emulator.createRecordingFiles({
        chunks: Array.from({ length: 6 }, (_, i) => ({
          size: MiB + 1000 * i,
          endReason: i < 5 ? 'ChunkMaximumSizeExceeded' : 'SessionEnded',
        })),
      });
      const faults = [
        undefined,
        { kind: 'redirect' },
        { kind: 'chunked' },
        { kind: 'chunked', contentRange: true, target: 'metadata' },
        { kind: 'status', status: 401 },
        { kind: 'status', status: 401, body: 'problem' },
      ] as const;
      faults.forEach((fault, i) => fault && emulator.setFault(files.chunks[i]!.documentId, { ...fault }));
      emulator.clearRequests();
      expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(202);
      await expectArchived(files);
      const gets = emulator.requests.filter((r) => r.method === 'GET' && r.status === 200);
      expect(gets.length).toBeGreaterThanOrEqual(12);
      expect(gets.every((r) => r.etag === undefined)).toBe(true);
      const manifest = await finalManifest(files);
      expect(await contentTypeOf(manifest.chunks[3]!.metadataBlob)).toBe('application/json');
      expect(emulator.requests.filter((r) => r.port === 'regional')).toHaveLength(1);

      const gone = await emulator.createRecordingFiles({ chunks: [{ size: 1000 }] });
      emulator.expire(gone.chunks[0]!.documentId, { status: 410 });
      expect((await deliver(host.url, [emulator.recordingFileStatusEvent(gone)])).status).toBe(202);
      const failed = await finalManifest(gone);
      expect(failed.status).toBe('failed');
      expect(failed.chunks[0]).toMatchObject({ status: 'expired', failureCode: 'SourceExpired' });
    } finally {
      emulator.setStorageAnswers('emulator');
    }
  }, 90_000);

  it('accepts a CloudEvent without time (a dead-letter replay), the receipt time standing in', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
    const event = emulator.recordingFileStatusEvent(files, { schema: 'CloudEvents', time: null }) as any;
    expect('time' in event).toBe(false);
    expect((await deliverCloudEvent(host.url, event)).status).toBe(202);
    await expectArchived(files);
  });

  it('maps the channels of an unmixed WAV to its participants in the manifest', async () => {
    const participants = ['8:acs:alice', '8:acs:bob'];
    const files = await emulator.createRecordingFiles({ format: 'wav', channelType: 'unmixed', participants });
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(202);
    await expectArchived(files);
    const manifest = await finalManifest(files);
    expect(manifest.channels).toEqual([
      { channel: 0, participantId: '8:acs:alice' },
      { channel: 1, participantId: '8:acs:bob' },
    ]);
  });

  it('archives a bring-your-own-storage event and records its storageType', async () => {
    const files = await emulator.createRecordingFiles({ format: 'mp3', chunks: 1 });
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files, { form: 'byos' })])).status).toBe(202);
    await expectArchived(files);
    const manifest = await finalManifest(files);
    expect(manifest).toMatchObject({ storageType: 'AzureBlob', recordingId: files.recordingId, formatType: 'mp3' });
    expect(manifest.chunks[0]!.blob).toMatch(/chunk-0000\.mp3$/);
  });

  it("skips a delete whose deleteLocation names another document, as Learn's sample does, with a warning naming the call", async () => {
    // Its own queue: the shared host must not take its copies.
    const deleting = await startHostProcess(root, {
      ...env,
      ARCHIVE_QUEUE: `${env.ARCHIVE_QUEUE}-delete`,
      DELETE_SOURCE_AFTER_ARCHIVE: 'true',
    });
    try {
      const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
      const other = await emulator.createRecordingFiles({ chunks: 1, chunkSize: 1000 });
      const otherDoc = other.chunks[0]!.documentId;
      const event = emulator.recordingFileStatusEvent(files) as any;
      event.data.recordingStorageInfo.recordingChunks[0].deleteLocation = `${emulator.regionalOrigin}/v1/objects/${otherDoc}`;
      emulator.clearRequests();
      expect((await deliver(deleting.url, [event])).status).toBe(202);
      const manifest = await eventually('the skipped delete recorded', async () => {
        const folder = await folderOf(files.callId).catch(() => undefined);
        const m = folder ? await readManifest(container, files.callId, path.posix.basename(folder)) : undefined;
        return m?.chunks[0]!.sourceDeleteError ? m : undefined;
      });
      expect(manifest.status).toBe('complete');
      expect(manifest.chunks[0]!.sourceDeleteError).toMatch(/^delete refused before any request: deleteLocation path/);
      expect(
        deleting.lines.some((l) =>
          new RegExp(
            `\\[Warning\\] archiveChunk \\([^)]*\\): Call ${files.callId}, recording ${manifest.recordingKey}, chunk 0: archived and verified, but the source delete was skipped`,
          ).test(l),
        ),
      ).toBe(true);
      expect(emulator.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
      expect(emulator.deletedDocuments).not.toContain(otherDoc);
    } finally {
      await deleting.stop();
    }
  }, 90_000);
});

describe('a crash at every point converges to a complete, byte-exact archive', () => {
  /**
   * Runs a host that dies (SIGKILL) at `point`, then a healthy one; Event Grid redelivers what got no answer.
   * `answer` is what the doomed host answered the delivery: nothing (0) when it died handling it.
   */
  async function crashAt(point: string, answer: 0 | 202, files: RecordingFiles): Promise<void> {
    await host.stop();
    const doomed = await startHostProcess(root, { ...env, ARCHIVE_CRASH_AT: point });
    const event = emulator.recordingFileStatusEvent(files);
    const first = await deliver(doomed.url, [event]).then(
      (r) => r.status,
      () => 0, // the answer never comes: the host died
    );
    await new Promise<void>((resolve) => {
      if (doomed.child.exitCode !== null || doomed.child.signalCode !== null) resolve();
      else doomed.child.once('exit', () => resolve());
    });
    expect(doomed.child.signalCode).toBe('SIGKILL');
    expect(first).toBe(answer);
    host = await startHostProcess(root, env);
    if (answer === 0) expect((await deliver(host.url, [event])).status).toBe(202); // Event Grid's redelivery
  }

  // after-commit: the delivery was answered; the copier died, and its queue message comes back to the next host.
  it.each([
    ['after-manifest', 0],
    ['after-enqueue', 0],
    ['after-commit', 202],
  ] as const)(
    'crash %s',
    async (point, answer) => {
      const files = await emulator.createRecordingFiles({ chunks: 2, chunkSize: 2 * MiB });
      await crashAt(point, answer, files);
      await expectArchived(files);
    },
    90_000,
  );

  it('crash mid-copy: the next copier resumes from the staged bytes', async () => {
    const files = await emulator.createRecordingFiles({ chunks: [{ size: 6 * MiB }] });
    const doc = files.chunks[0]!.documentId;
    emulator.setRateLimit(doc, 2 * MiB);
    emulator.clearRequests();
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(202);
    // Wait until some blocks are staged, then kill the host without warning. (A blob with only uncommitted blocks is
    // not listed: its name comes from the manifest, which is written first.)
    await eventually(
      'two staged blocks',
      async () => {
        const folder = await folderOf(files.callId).catch(() => undefined);
        if (!folder) return false;
        const blocks = await container
          .getBlockBlobClient(`${folder}/chunk-0000.mp4`)
          .getBlockList('uncommitted')
          .catch(() => undefined);
        return (blocks?.uncommittedBlocks?.length ?? 0) >= 2;
      },
      20_000,
    );
    await host.kill();
    emulator.setRateLimit(doc, 0);
    host = await startHostProcess(root, env);
    // No redelivery needed: the queue message comes back once its processing visibility lapses.
    await expectArchived(files);
    const gets = contentGets(doc);
    const resumed = gets[gets.length - 1]!;
    expect(resumed.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(resumed.range!)![0])).toBeGreaterThanOrEqual(2 * MiB - 1); // staged bytes not fetched again
  }, 90_000);

  it('runs the sweeper on demand as the timer would, and it reports the pending work it found', async () => {
    const files = await emulator.createRecordingFiles({ chunks: 1, chunkSize: MiB });
    emulator.setFault(files.chunks[0]!.documentId, { kind: 'status', status: 503, times: 1000 });
    expect((await deliver(host.url, [emulator.recordingFileStatusEvent(files)])).status).toBe(202);
    const before = host.lines.length;
    expect((await fetch(`${host.url}/admin/functions/sweepArchives`, { method: 'POST', body: '{}' })).status).toBe(202);
    await eventually(
      'the sweep to finish',
      () => host.lines.slice(before).some((l) => l.includes("Executed 'sweepArchives'")),
      60_000,
    );
    const sweep = host.lines
      .slice(before)
      .map((l) => parseEventLine(l))
      .find((e) => e?.name === 'SweepCompleted');
    expect(sweep?.fields).toMatchObject({ pending: expect.any(Number), errors: 0, budgetExhausted: false });
    expect(Number(sweep!.fields.pending)).toBeGreaterThanOrEqual(1);
    emulator.clearFaults(files.chunks[0]!.documentId);
  });
});
