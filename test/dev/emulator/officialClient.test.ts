import { createHash } from 'node:crypto';
import { CallAutomationClient } from '@azure/communication-call-automation';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver';

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

function loopbackTransport(): HttpClient {
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      const url = new URL(request.url);
      if (url.hostname.endsWith('.asm.skype.com')) {
        request.url = `${emulator.storageOrigin}${url.pathname}${url.search}`;
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
  expect(started.recordingState).toBe('active');
  const recordingId = started.recordingId;
  expect(emulator.recordings.get(recordingId)).toMatchObject({
    serverCallId: call.serverCallId,
    state: 'active',
    format: 'mp3',
  });

  expect((await recording.getState(recordingId)).recordingState).toBe('active');
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
