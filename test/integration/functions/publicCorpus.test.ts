import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { newServerCallId, startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { azuriteConnectionString, listBlobs, readManifest } from '../../helpers/archiveHarness';
import { corpusIndex, corpusText, type CorpusEntry } from '../../helpers/corpus';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * Every payload of Microsoft's that the corpus (test/fixtures/acs-public, sources in its SOURCES.md) says the product
 * must act on, replayed verbatim through the real handlers in the local host, with the outcome its index documents:
 * archived-intent (202; the manifest lists the chunks exactly as published; one queue message per chunk), started,
 * stopped, state-updated, ignored, or the handshake. Only the placeholders the index lists are filled in; a fresh call
 * id per payload keeps their recordings apart. Call Automation callbacks carry a valid callback JWT, as ACS sends them.
 */

const root = REPO_ROOT;
let emulator: AcsEmulator;
let host: HostProcess;
let container: ContainerClient;
let queue: QueueClient;

beforeAll(async () => {
  emulator = await startEmulator();
  const id = randomUUID().slice(0, 8);
  container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(`corpus-${id}`);
  queue = new QueueClient(azuriteConnectionString(), `corpus-${id}`);
  host = await startHostProcess(root, {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    AzureWebJobsStorage: azuriteConnectionString(),
    ARCHIVE_CONTAINER: container.containerName,
    CONTROL_CONTAINER: `corpus-control-${id}`,
    ARCHIVE_QUEUE: queue.name,
    // The published locations are on storage.asm.skype.com, which this machine cannot reach: the copies stay queued.
    'AzureWebJobs.archiveChunk.Disabled': 'true',
    ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
    ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
  });
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

const replayed = corpusIndex().filter((e) => e.target !== 'none' && e.expected !== 'reference');
const CALLBACK_TYPES =
  /\.(CallConnected|CallDisconnected|ParticipantsUpdated|RecordingStateChanged|CallRecordingStateChanged|StartRecordingFailed)$/;

const isCallback = (entry: CorpusEntry): boolean => CALLBACK_TYPES.test(entry.eventType ?? '');

/** Posts a payload the way its sender does: Event Grid (aeg-event-type), or a Call Automation callback with its JWT. */
async function post(entry: CorpusEntry, url: string, body: string): Promise<Response> {
  const callback = isCallback(entry);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': entry.kind.startsWith('cloudevent') ? 'application/cloudevents+json' : 'application/json',
      ...(callback
        ? { authorization: `Bearer ${emulator.callbackToken()}` }
        : { 'aeg-event-type': entry.expected === 'handshake' ? 'SubscriptionValidation' : 'Notification' }),
    },
    body,
  });
}

function endpoint(entry: CorpusEntry): string {
  switch (entry.target) {
    case 'archiveRecording':
      return `${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`;
    case 'callEvents':
      // Call Automation sends its callbacks to the callback URL it was given; Event Grid to its subscription's.
      return `${host.url}/api/${isCallback(entry) ? 'call-automation-events' : 'call-events'}`;
    case 'recordingState':
      return `${host.url}/api/recording-state`;
    default:
      throw new Error(`no endpoint for ${entry.target}`);
  }
}

function firstEvent(body: string): Record<string, any> {
  const parsed = JSON.parse(body) as unknown;
  return (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, any>;
}

/** The serverCallId a call event carries (data.serverCallId, or the 2021 data.ConversationId). */
function serverCallIdOf(event: Record<string, any>): string | undefined {
  return event.data?.serverCallId ?? event.data?.ConversationId;
}

const controlRequests = () => emulator.requests.filter((r) => r.port === 'endpoint' && r.path.startsWith('/calling/'));

describe("Microsoft's published payloads through the real handlers", () => {
  it('covers every payload the corpus says the product acts on', () => {
    expect(replayed.length).toBeGreaterThanOrEqual(25);
    expect(new Set(replayed.map((e) => e.expected))).toEqual(
      new Set(['archived-intent', 'started', 'stopped', 'state-updated', 'ignored', 'handshake']),
    );
  });

  it.each(replayed.filter((e) => e.expected === 'archived-intent').map((e) => [e.file, e] as const))(
    '%s: accepted, the intent recorded as published, one copy queued per chunk',
    async (_file, entry) => {
      const callId = randomUUID();
      const body = corpusText(entry.file, { '{call-id}': callId });
      const event = firstEvent(body);
      const response = await post(entry, endpoint(entry), body);
      expect(response.status).toBe(202);
      const manifestName = (await listBlobs(container, `${callId}/`)).find((n) => n.endsWith('/manifest.json'));
      expect(manifestName).toBeDefined();
      const manifest = await readManifest(container, callId, manifestName!.split('/')[1]!);
      expect(manifest.status).toBe('pending');
      const published = event.data.recordingStorageInfo.recordingChunks as Record<string, unknown>[];
      expect(manifest.chunks).toEqual(
        published.map((c) =>
          expect.objectContaining({
            index: c.index,
            documentId: c.documentId,
            contentLocation: c.contentLocation,
            metadataLocation: c.metadataLocation,
            deleteLocation: c.deleteLocation ?? null,
            status: 'pending',
          }),
        ),
      );
      // A format is never guessed: a chunk is named after the event's format, or (until its metadata file is read)
      // `bin`; only the 2021 form without locations is MP4 by definition.
      const named = event.data.recordingFormatType as string | undefined;
      const located = published.every((c) => typeof c.contentLocation === 'string');
      expect(manifest).toMatchObject({ formatType: named ?? null, storageType: event.data.storageType ?? null });
      const extension = named ? named.toLowerCase() : located ? 'bin' : 'mp4';
      expect(manifest.chunks.map((c) => c.blob.split('.').pop())).toEqual(published.map(() => extension));
      const messages = await queue.peekMessages({ numberOfMessages: 32 });
      const ours = messages.peekedMessageItems
        .map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as { callId: string })
        .filter((m) => m.callId === callId);
      expect(ours).toHaveLength(published.length);
    },
  );

  it.each(replayed.filter((e) => e.expected === 'started').map((e) => [e.file, e] as const))(
    '%s: starts one recording',
    async (_file, entry) => {
      // Several payloads share one {serverCallId} value: a fresh padded one (with '+', '/', '=') per payload.
      const body = corpusText(entry.file, { '{serverCallId}': newServerCallId() });
      const event = firstEvent(body);
      const serverCallId = serverCallIdOf(event);
      if (!serverCallId) await emulator.startCall({ callConnectionIds: [event.data.callConnectionId] });
      const before = controlRequests().length;
      const response = await post(entry, endpoint(entry), body);
      expect(response.status).toBe(200);
      const starts = controlRequests()
        .slice(before)
        .filter((r) => r.method === 'POST' && /^\/calling\/recordings\?/.test(r.path));
      expect(starts).toHaveLength(1);
      if (serverCallId) expect(starts[0]!.serverCallId).toBe(serverCallId);
      // The same payload again (Event Grid's at-least-once) starts nothing more.
      await post(entry, endpoint(entry), body);
      expect(
        controlRequests()
          .slice(before)
          .filter((r) => r.method === 'POST' && /^\/calling\/recordings\?/.test(r.path)),
      ).toHaveLength(1);
    },
  );

  it.each(replayed.filter((e) => e.expected === 'stopped').map((e) => [e.file, e] as const))(
    '%s: stops the recording this app started for the call',
    async (_file, entry) => {
      const body = corpusText(entry.file, { '{serverCallId}': newServerCallId() });
      const serverCallId = serverCallIdOf(firstEvent(body))!;
      // A recording of this call, started through the API (the call may already have one from another payload).
      const started = await fetch(`${host.url}/api/recordings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ serverCallId }),
      });
      expect(started.status).toBe(200);
      const before = controlRequests().length;
      expect((await post(entry, endpoint(entry), body)).status).toBe(200);
      expect(
        controlRequests()
          .slice(before)
          .filter((r) => r.method === 'DELETE'),
      ).toHaveLength(1);
      const view = (await (
        await fetch(`${host.url}/api/recordings?serverCallId=${encodeURIComponent(serverCallId)}`)
      ).json()) as {
        state: string;
      };
      expect(view.state).toBe('stopped');
    },
  );

  it.each(replayed.filter((e) => e.expected === 'state-updated').map((e) => [e.file, e] as const))(
    '%s: accepted; a recording this app did not start is left alone',
    async (_file, entry) => {
      const body = corpusText(entry.file);
      const before = controlRequests().length;
      expect((await post(entry, endpoint(entry), body)).status).toBe(200);
      expect(controlRequests().slice(before)).toEqual([]);
      // The SDK payload names call "serverCallId" and recording "recordingId": nothing of either became known.
      expect((await fetch(`${host.url}/api/recordings/serverCallId`)).status).toBe(404);
    },
  );

  it.each(replayed.filter((e) => e.expected === 'ignored').map((e) => [e.file, e] as const))(
    '%s: acknowledged and ignored',
    async (_file, entry) => {
      const before = controlRequests().length;
      expect((await post(entry, endpoint(entry), corpusText(entry.file))).status).toBe(200);
      expect(controlRequests().slice(before)).toEqual([]);
    },
  );

  it.each(replayed.filter((e) => e.expected === 'handshake').map((e) => [e.file, e] as const))(
    '%s: answered with the validation code at both webhooks',
    async (_file, entry) => {
      const body = corpusText(entry.file);
      const code = firstEvent(body).data.validationCode as string;
      for (const url of [endpoint(entry), `${host.url}/runtime/webhooks/eventgrid?functionName=archiveRecording`]) {
        const response = await post(entry, url, body);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ validationResponse: code });
      }
    },
  );
});
