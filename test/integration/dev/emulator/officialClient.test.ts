import { createHash } from 'node:crypto';
import { CallAutomationClient } from '@azure/communication-call-automation';
import type { TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
import { startWebhookReceiver, type WebhookReceiver } from '../../../helpers/webhookReceiver';

/**
 * Conformance: Microsoft's own client drives the emulator with nothing changed above its transport. The only help it
 * gets is an HttpClient that sends `*.asm.skype.com` to the emulator's loopback storage port (the client insists on
 * https and ACS storage host names for recording URLs), as DNS would in a real deployment.
 */

let emulator: AcsEmulator;
let callbacks: WebhookReceiver;
beforeAll(async () => {
  emulator = await startEmulator();
  callbacks = await startWebhookReceiver();
});
afterAll(async () => {
  await emulator.stop();
  await callbacks.close();
});

/** The https endpoint name the Entra-mode client is given (its bearer policy refuses plain http). */
const ENTRA_ENDPOINT = 'https://acs-emulator.communication.azure.com/';

function loopbackTransport(): HttpClient {
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      const url = new URL(request.url);
      if (url.hostname.endsWith('.asm.skype.com')) {
        request.url = `${emulator.storageOrigin}${url.pathname}${url.search}`;
        request.allowInsecureConnection = true;
      } else if (url.hostname === new URL(ENTRA_ENDPOINT).hostname) {
        request.url = `${emulator.endpoint.replace(/\/$/, '')}${url.pathname}${url.search}`;
        request.allowInsecureConnection = true;
      }
      return inner.sendRequest(request);
    },
  };
}

/** What the real service puts in an event: an https location on the ACS storage host. */
const asServiceLocation = (location: string): string =>
  location.replace(emulator.storageOrigin, 'https://storage.asm.skype.com');

it('start, state, pause, resume, stop, downloadStreaming and delete succeed through the official client', async () => {
  const client = new CallAutomationClient(emulator.connectionString, {
    httpClient: loopbackTransport(),
    allowInsecureConnection: true,
  });
  const recording = client.getCallRecording();
  const call = await emulator.startCall();

  const started = await recording.start({
    callLocator: { id: call.serverCallId, kind: 'serverCallLocator' },
    recordingStateCallbackEndpointUrl: callbacks.url,
    recordingContent: 'audio',
    recordingChannel: 'mixed',
    recordingFormat: 'mp3',
  });
  expect(started).toEqual({
    recordingId: expect.any(String),
    recordingState: 'active',
    recordingKind: 'azureCommunicationServices',
  });
  const recordingId = started.recordingId;
  // The client carried the padded serverCallId unchanged, and sent both repeatability headers.
  expect(call.serverCallId).toMatch(/^[A-Za-z0-9+/]+={1,2}$/);
  const startRequest = emulator.requests.find((r) => r.method === 'POST' && r.path.startsWith('/calling/recordings?'));
  expect(startRequest).toMatchObject({
    auth: 'hmac',
    repeatabilityRequestId: expect.stringMatching(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    ),
    repeatabilityFirstSent: expect.stringMatching(/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/),
  });
  expect(emulator.recordings.get(recordingId)).toMatchObject({
    serverCallId: call.serverCallId,
    state: 'active',
    format: 'mp3',
  });

  expect(await recording.getState(recordingId)).toEqual({
    recordingId,
    recordingState: 'active',
    recordingKind: 'azureCommunicationServices',
  });
  await recording.pause(recordingId);
  expect((await recording.getState(recordingId)).recordingState).toBe('inactive');
  await recording.resume(recordingId);
  expect((await recording.getState(recordingId)).recordingState).toBe('active');

  await expect(
    recording.start({ callLocator: { id: call.serverCallId, kind: 'serverCallLocator' } }),
  ).rejects.toMatchObject({ code: '8553' });

  await recording.stop(recordingId);
  expect(emulator.recordings.get(recordingId)!.state).toBe('stopped');
  const chunk = emulator.recordings.get(recordingId)!.files!.chunks[0]!;

  const stream = await recording.downloadStreaming(asServiceLocation(chunk.contentLocation));
  const hash = createHash('sha256');
  for await (const piece of stream as AsyncIterable<Buffer>) hash.update(piece);
  expect(hash.digest('hex')).toBe(chunk.sha256);

  const metadata = await recording.downloadStreaming(asServiceLocation(chunk.metadataLocation));
  const pieces: Buffer[] = [];
  for await (const piece of metadata as AsyncIterable<Buffer>) pieces.push(piece);
  expect(Buffer.concat(pieces).equals(chunk.metadata)).toBe(true);
  const parsed = JSON.parse(chunk.metadata.toString('utf8'));
  expect(parsed.pauseResumeIntervals).toEqual([{ startTime: expect.any(String), duration: expect.any(Number) }]);

  const part = await recording.downloadStreaming(asServiceLocation(chunk.contentLocation), { offset: 10, length: 100 });
  const partPieces: Buffer[] = [];
  for await (const piece of part as AsyncIterable<Buffer>) partPieces.push(piece);
  expect(Buffer.concat(partPieces).length).toBe(100);

  await recording.delete(asServiceLocation(chunk.deleteLocation));
  expect(emulator.deletedDocuments).toEqual([chunk.documentId]);

  expect(emulator.requests.every((r) => r.authorized)).toBe(true);
  expect(emulator.requests.filter((r) => r.port === 'storage').map((r) => [r.method, r.status])).toEqual([
    ['GET', 200],
    ['GET', 200],
    ['GET', 206],
    ['DELETE', 200],
  ]);

  // start, pause, resume, stop: one Call Automation callback each.
  await callbacks.waitFor(4);
  const states = callbacks.received.map((r) => (r.body as Array<{ type: string; data: { state: string } }>)[0]!);
  expect(states.map((e) => [e.type, e.data.state])).toEqual([
    ['Microsoft.Communication.RecordingStateChanged', 'active'],
    ['Microsoft.Communication.RecordingStateChanged', 'inactive'],
    ['Microsoft.Communication.RecordingStateChanged', 'active'],
    ['Microsoft.Communication.RecordingStateChanged', 'inactive'],
  ]);
});

it('reads a 202 inactive start, and starts by callConnectionId', async () => {
  const client = new CallAutomationClient(emulator.connectionString, { allowInsecureConnection: true });
  const recording = client.getCallRecording();
  const call = await emulator.startCall({ legs: 2 });
  emulator.setStartResponse({ status: 202, state: 'inactive', then: 'stay', times: 1 });
  const accepted = await recording.start({ callConnectionId: call.legs[1] });
  expect([accepted.recordingState, accepted.recordingKind]).toEqual(['inactive', 'azureCommunicationServices']);
  expect(emulator.recordings.get(accepted.recordingId)).toMatchObject({
    serverCallId: call.serverCallId,
    callConnectionId: call.legs[1],
    state: 'starting',
  });
  expect((await recording.getState(accepted.recordingId)).recordingState).toBe('inactive');
  await recording.stop(accepted.recordingId);
});

it('Entra mode: the bearer token of the client is accepted only once the emulator is told it', async () => {
  const scopes: string[] = [];
  const credential: TokenCredential = {
    getToken: async (scope) => {
      scopes.push(...[scope].flat());
      return { token: 'official-client-entra-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const client = new CallAutomationClient(ENTRA_ENDPOINT, credential, { httpClient: loopbackTransport() });
  const recording = client.getCallRecording();
  const call = await emulator.startCall();
  const start = (): Promise<unknown> =>
    recording.start({ callLocator: { id: call.serverCallId, kind: 'serverCallLocator' } });
  await expect(start()).rejects.toMatchObject({ statusCode: 401 });
  emulator.addEntraToken('official-client-entra-token');
  await expect(start()).resolves.toMatchObject({ recordingState: 'active' });
  expect(scopes.every((scope) => scope === 'https://communication.azure.com//.default')).toBe(true);
  const bearers = emulator.requests.filter((r) => r.auth === 'bearer').map((r) => [r.authorized, r.status]);
  expect(bearers).toEqual([
    [false, 401],
    [true, 200],
  ]);
});

it('records into your own storage: the official client sends recordingStorage as externalStorage', async () => {
  const client = new CallAutomationClient(emulator.connectionString, { allowInsecureConnection: true });
  const call = await emulator.startCall();
  emulator.clearRequests();
  // The container of the 2025-06-15 StartRecording REST example.
  const started = await client.getCallRecording().start({
    callLocator: { id: call.serverCallId, kind: 'serverCallLocator' },
    recordingStorage: {
      recordingStorageKind: 'azureBlobStorage',
      recordingDestinationContainerUrl: 'https://contoso.blob.core.windows.net/recordings',
    },
  });
  expect(emulator.recordings.get(started.recordingId)?.externalStorage).toEqual({
    recordingStorageKind: 'azureBlobStorage',
    recordingDestinationContainerUrl: 'https://contoso.blob.core.windows.net/recordings',
  });
  await client.getCallRecording().stop(started.recordingId);
});
