import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type AcsEmulator, type EmulatorOptions } from '../../../../dev/emulator';
import { corpusText } from '../../../helpers/corpus';
import { control, signedFetch } from '../../../helpers/signedFetch';
import { startWebhookReceiver, type WebhookReceiver } from '../../../helpers/webhookReceiver';

/** Event shapes (recording files, call events) and Event Grid-like delivery with retries. */

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function setup(
  options: EmulatorOptions = {},
): Promise<{ emulator: AcsEmulator; files: WebhookReceiver; calls: WebhookReceiver }> {
  const files = await startWebhookReceiver();
  const calls = await startWebhookReceiver();
  const emulator = await startEmulator({
    deliveryRetryDelaysMs: [10, 20, 30],
    ...options,
    webhooks: { recordingFiles: [files.url], callEvents: [calls.url] },
  });
  running.push(emulator, { stop: files.close }, { stop: calls.close });
  return { emulator, files, calls };
}

async function startRecording(emulator: AcsEmulator, serverCallId: string): Promise<string> {
  const response = await signedFetch(emulator, `${emulator.endpoint}calling/recordings?api-version=2025-06-15`, {
    method: 'POST',
    body: JSON.stringify({ callLocator: { kind: 'serverCallLocator', serverCallId } }),
    xMsHost: null,
  });
  return ((await response.json()) as { recordingId: string }).recordingId;
}

describe('RecordingFileStatusUpdated builder', () => {
  it('builds the documented Event Grid, CloudEvents and 2021 shapes', async () => {
    const { emulator } = await setup();
    const files = await emulator.createRecordingFiles({
      chunks: 3,
      format: 'mp3',
      callId: 'c0ffee00-0000-4000-8000-000000000001',
    });
    const grid = emulator.recordingFileStatusEvent(files, { chunkIndices: [2, 0], id: 'e1' }) as any;
    expect(Object.keys(grid).sort()).toEqual(
      ['data', 'dataVersion', 'eventTime', 'eventType', 'id', 'metadataVersion', 'subject', 'topic'].sort(),
    );
    expect(grid).toMatchObject({
      id: 'e1',
      eventType: 'Microsoft.Communication.RecordingFileStatusUpdated',
      subject: `/recording/call/${files.callId}/serverCallId/${files.serverCallId}/recordingId/${files.recordingId}`,
      dataVersion: '1.0',
      metadataVersion: '1',
      data: {
        recordingStartTime: files.recordingStartTime,
        recordingDurationMs: files.recordingDurationMs,
        sessionEndReason: 'CallEnded',
        recordingContentType: 'Audio',
        recordingChannelType: 'Mixed',
        recordingFormatType: 'Mp3',
      },
    });
    expect(grid.topic).toBe(
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.Communication/communicationServices/acs-emulator',
    );
    expect(emulator.resourceId).toBe(grid.topic);
    expect(grid.data.recordingStorageInfo.recordingChunks).toEqual(
      files.chunks
        .filter((c) => c.index !== 1)
        .map((c) => ({
          documentId: c.documentId,
          index: c.index,
          endReason: c.endReason,
          contentLocation: c.contentLocation,
          metadataLocation: c.metadataLocation,
          deleteLocation: c.deleteLocation,
        })),
    );
    expect(files.recordingStartTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);

    const cloud = emulator.recordingFileStatusEvent(files, { schema: 'CloudEvents' }) as any;
    expect(cloud).toMatchObject({
      specversion: '1.0',
      type: grid.eventType,
      subject: grid.subject,
      source: grid.topic,
    });
    expect(cloud.data.recordingStorageInfo.recordingChunks).toHaveLength(3);

    const preview = emulator.recordingFileStatusEvent(files, { form: '2021' }) as any;
    expect(preview.subject).toBe(`/recording/call/${files.callId}`);
    expect(preview.data.recordingStorageInfo.recordingChunks[0]).toEqual({
      documentId: files.chunks[0]!.documentId,
      index: 0,
      endReason: 'ChunkMaximumSizeExceeded',
    });
    expect(preview.data.recordingContentType).toBeUndefined();
  });

  it("builds the bring-your-own-storage form as Learn's quickstart documents it", async () => {
    const { emulator } = await setup();
    const files = await emulator.createRecordingFiles({ chunks: 2, format: 'wav' });
    const byos = emulator.recordingFileStatusEvent(files, { form: 'byos' }) as any;
    // The published schema is commented JSON: its keys, in order, and its subject, as written there.
    const schema = corpusText('learn/bring-your-own-storage.notification-schema.txt');
    const keysOf = (text: string) => [...text.matchAll(/^\s*"(\w+)":/gm)].map((m) => m[1]);
    const dataBlock = schema.slice(schema.indexOf('"data"'), schema.indexOf('"eventType"'));
    const chunkKeys = ['documentId', 'contentLocation', 'metadataLocation', 'deleteLocation', 'index', 'endReason'];
    expect(keysOf(dataBlock).filter((k) => k !== 'data' && k !== 'recordingChunks' && !chunkKeys.includes(k!))).toEqual(
      Object.keys(byos.data),
    );
    expect(schema).toContain('// /recording/call/{call-id}/serverCallId/{serverCallId}\n');
    expect(byos.subject).toBe(`/recording/call/${files.callId}/serverCallId/${files.serverCallId}`);
    expect(byos.data).toMatchObject({ storageType: 'AzureBlob', recordingId: files.recordingId });
    expect(Object.keys(byos.data.recordingStorageInfo.recordingChunks[0]).sort()).toEqual([...chunkKeys].sort());

    const unnamed = emulator.recordingFileStatusEvent(files, { formatFields: false }) as any;
    expect(Object.keys(unnamed.data)).toEqual([
      'recordingStorageInfo',
      'recordingStartTime',
      'recordingDurationMs',
      'sessionEndReason',
    ]);
    const untimed = emulator.recordingFileStatusEvent(files, { schema: 'CloudEvents', time: null }) as any;
    expect(untimed.specversion).toBe('1.0');
    expect('time' in untimed).toBe(false);
  });

  it('emits the bring-your-own-storage form for a stopped recording when told to', async () => {
    const { emulator, files } = await setup({ eventForm: 'byos' });
    const call = await emulator.startCall();
    await startRecording(emulator, call.serverCallId);
    await emulator.endCall(call.serverCallId);
    await emulator.idle();
    const event = (files.received[0]!.body as any[])[0];
    expect(event.subject).toBe(`/recording/call/${call.callId}/serverCallId/${call.serverCallId}`);
    expect(event.data.storageType).toBe('AzureBlob');
  });
});

describe('call simulation', () => {
  it('Event Grid: CallStarted, CallEnded (unsigned, topic = resourceId), and RecordingFileStatusUpdated', async () => {
    const { emulator, files, calls } = await setup({ maxChunkBytes: 20_000 });
    const call = await emulator.startCall({ participants: ['8:acs:starter', '8:acs:other'] });
    const recordingId = await startRecording(emulator, call.serverCallId);
    await emulator.idle();
    await emulator.endCall(call.serverCallId);
    await emulator.idle();
    expect(calls.received.map((r) => [r.headers['aeg-event-type'], r.headers.authorization])).toEqual([
      ['Notification', undefined],
      ['Notification', undefined],
    ]);
    const [started, ended] = calls.received.map((r) => (r.body as any[])[0]);
    // Subjects as Learn's "voice and video calling events" examples: call/{serverCallId}/startedBy/{rawId}, call/{serverCallId}.
    expect([started.eventType, started.subject, started.topic]).toEqual([
      'Microsoft.Communication.CallStarted',
      `call/${call.serverCallId}/startedBy/8:acs:starter`,
      emulator.resourceId,
    ]);
    expect(started.data).toEqual({
      startedBy: {
        communicationIdentifier: {
          kind: 'communicationUser',
          rawId: '8:acs:starter',
          communicationUser: { id: '8:acs:starter' },
        },
        role: 'Attendee',
      },
      serverCallId: call.serverCallId,
      group: { id: call.callId },
      isTwoParty: true,
      correlationId: call.callId,
      isRoomsCall: false,
    });
    expect([ended.eventType, ended.subject]).toEqual([
      'Microsoft.Communication.CallEnded',
      `call/${call.serverCallId}`,
    ]);
    expect(ended.data).toMatchObject({ serverCallId: call.serverCallId, reason: { code: 0, subCode: 0 } });

    expect(emulator.recordings.get(recordingId)!.state).toBe('stopped');
    expect(files.received).toHaveLength(1);
    const event = (files.received[0]!.body as any[])[0];
    expect(event.subject).toBe(
      `/recording/call/${call.callId}/serverCallId/${call.serverCallId}/recordingId/${recordingId}`,
    );
    expect(event.topic).toBe(emulator.resourceId);
    const chunks = event.data.recordingStorageInfo.recordingChunks as any[];
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.at(-1).endReason).toBe('SessionEnded');
    expect(chunks.slice(0, -1).every((c) => c.endReason === 'ChunkMaximumSizeExceeded')).toBe(true);
    const download = await signedFetch(emulator, chunks[0].contentLocation);
    expect(Number(download.headers.get('content-length'))).toBe(20_000);
    await download.arrayBuffer();
  });

  it('CloudEvents: signed CallConnected and CallDisconnected callbacks per leg, as Call Automation sends them', async () => {
    const { emulator, calls } = await setup({ eventSchema: 'CloudEvents' });
    const call = await emulator.startCall({ legs: 2 });
    await emulator.idle();
    await emulator.endCall(call.serverCallId);
    await emulator.idle();
    expect(calls.received.map((r) => r.headers['content-type'])).toEqual(Array(4).fill('application/json'));
    expect(calls.received.every((r) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(r.headers.authorization!))).toBe(true);
    const events = calls.received.map((r) => {
      expect(r.body).toHaveLength(1);
      return (r.body as any[])[0];
    });
    const byLeg = (leg: string): string[] => events.filter((e) => e.data.callConnectionId === leg).map((e) => e.type);
    for (const leg of call.legs) {
      expect(byLeg(leg)).toEqual(['Microsoft.Communication.CallConnected', 'Microsoft.Communication.CallDisconnected']);
    }
    const connected = events.find((e) => e.data.callConnectionId === call.legs[0]);
    expect(connected).toEqual({
      id: expect.any(String),
      source: `calling/callConnections/${call.legs[0]}`,
      subject: `calling/callConnections/${call.legs[0]}`,
      type: 'Microsoft.Communication.CallConnected',
      data: { callConnectionId: call.legs[0], serverCallId: call.serverCallId, correlationId: call.callId },
      time: expect.any(String),
      specversion: '1.0',
      datacontenttype: 'application/json',
    });
    expect(emulator.deliveries.map((d) => d.channel)).toEqual(Array(4).fill('callback'));
  });

  it('CallConnected can leave out serverCallId; the app then records by callConnectionId', async () => {
    const { emulator, calls } = await setup({ eventSchema: 'CloudEvents' });
    const call = await emulator.startCall({ omitServerCallIdInCallConnected: true });
    await emulator.idle();
    const [connected] = calls.received.map((r) => (r.body as any[])[0]);
    expect(connected.data).toEqual({ callConnectionId: call.legs[0], correlationId: call.callId });
    const response = await control(emulator, 'POST', 'calling/recordings?api-version=2025-06-15', {
      callConnectionId: connected.data.callConnectionId,
    });
    expect(response.status).toBe(200);
    const { recordingId } = (await response.json()) as { recordingId: string };
    expect(emulator.recordings.get(recordingId)!.serverCallId).toBe(call.serverCallId);
  });

  it('hangUp: CallDisconnected for that connection only, and the call and its recording go on', async () => {
    const { emulator, calls } = await setup({ eventSchema: 'CloudEvents' });
    const call = await emulator.startCall({ legs: 2 });
    const recordingId = await startRecording(emulator, call.serverCallId);
    emulator.hangUp(call.legs[0]!);
    await emulator.idle();
    const types = calls.received.map((r) => [(r.body as any[])[0].type, (r.body as any[])[0].data.callConnectionId]);
    expect(types.filter(([type]) => type === 'Microsoft.Communication.CallDisconnected')).toEqual([
      ['Microsoft.Communication.CallDisconnected', call.legs[0]],
    ]);
    expect(emulator.recordings.get(recordingId)!.state).toBe('active');
    await emulator.endCall(call.serverCallId);
    await emulator.idle();
    const disconnected = calls.received
      .map((r) => (r.body as any[])[0])
      .filter((e) => e.type === 'Microsoft.Communication.CallDisconnected');
    expect(disconnected.map((e) => e.data.callConnectionId)).toEqual([call.legs[0], call.legs[1]]);
  });

  it('CloudEvents with callEvents "system": CallStarted with source = resourceId, unsigned', async () => {
    const resourceId =
      '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/contoso';
    const { emulator, calls } = await setup({ eventSchema: 'CloudEvents', callEvents: 'system', resourceId });
    const call = await emulator.startCall();
    await emulator.idle();
    const [received] = calls.received;
    expect(received!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(received!.headers.authorization).toBeUndefined();
    expect(received!.body).toMatchObject({
      specversion: '1.0',
      type: 'Microsoft.Communication.CallStarted',
      source: resourceId,
      data: { serverCallId: call.serverCallId },
    });
  });

  it('2021: CallLegStateChanged Established and Terminated per leg', async () => {
    const { emulator, calls } = await setup({ eventForm: '2021' });
    const call = await emulator.startCall({ legs: 3 });
    await emulator.idle();
    await emulator.endCall(call.serverCallId);
    await emulator.idle();
    const events = calls.received.map((r) => (r.body as any[])[0]);
    expect(events.map((e) => [e.eventType, e.data.CallState])).toEqual([
      ...Array(3).fill(['Microsoft.Communication.CallLegStateChanged', 'Established']),
      ...Array(3).fill(['Microsoft.Communication.CallLegStateChanged', 'Terminated']),
    ]);
    expect(events[0].subject).toBe(`callLeg/${events[0].data.CallLegId}/callState`);
    expect(events[0].data.ConversationId).toBe(call.serverCallId);
  });
});

describe('delivery', () => {
  it('retries on non-2xx like Event Grid, and logs every attempt', async () => {
    const { emulator, calls } = await setup();
    calls.script.push(500, 503);
    await emulator.startCall();
    await emulator.idle();
    expect(calls.received).toHaveLength(3);
    expect(calls.received.map((r) => r.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
    expect(emulator.deliveries).toEqual([
      expect.objectContaining({
        url: calls.url,
        attempts: 3,
        statuses: [500, 503, 200],
        delivered: true,
        channel: 'eventGrid',
      }),
    ]);
  });

  it('does not retry 400, and gives up after the schedule', async () => {
    const { emulator, calls } = await setup();
    calls.script.push(400, 500, 500, 500, 500);
    const call = await emulator.startCall();
    await emulator.idle();
    await emulator.endCall(call.serverCallId);
    await emulator.idle();
    expect(emulator.deliveries.map((d) => [d.statuses, d.delivered])).toEqual([
      [[400], false],
      [[500, 500, 500, 500], false],
    ]);
  });

  it('counts a slow answer as failed and delivers again while the first attempt still runs', async () => {
    const { emulator, calls } = await setup({ deliveryTimeoutMs: 1000 });
    calls.delays.push(5000);
    await emulator.startCall();
    await emulator.idle();
    expect(calls.received).toHaveLength(2);
    expect(emulator.deliveries[0]).toMatchObject({ attempts: 2, statuses: ['TimeoutError', 200], delivered: true });
  });
});

describe('subscription handshake', () => {
  async function hook(
    answer: (req: IncomingMessage, body: string, res: ServerResponse) => void,
  ): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (piece: Buffer) => (body += piece.toString('utf8')));
      req.on('end', () => answer(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
    running.push({ stop: close });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close };
  }

  it('Event Grid: accepts the echoed validationCode and refuses anything else', async () => {
    const { emulator } = await setup();
    const good = await hook((req, body, res) => {
      expect(req.headers['aeg-event-type']).toBe('SubscriptionValidation');
      const [event] = JSON.parse(body) as Array<{ eventType: string; data: { validationCode: string } }>;
      expect(event!.eventType).toBe('Microsoft.EventGrid.SubscriptionValidationEvent');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ validationResponse: event!.data.validationCode }));
    });
    expect(await emulator.validateWebhook(good.url)).toEqual({ ok: true, status: 200 });
    const bad = await hook((_req, _body, res) => res.writeHead(202).end());
    expect(await emulator.validateWebhook(bad.url)).toMatchObject({
      ok: false,
      status: 202,
      problem: expect.any(String),
    });
  });

  it('CloudEvents: OPTIONS with WebHook-Request-Origin must be allowed', async () => {
    const { emulator } = await setup();
    const good = await hook((req, _body, res) => {
      expect(req.method).toBe('OPTIONS');
      res.writeHead(200, { 'webhook-allowed-origin': String(req.headers['webhook-request-origin']) }).end();
    });
    expect(await emulator.validateWebhook(good.url, 'CloudEvents')).toEqual({ ok: true, status: 200 });
    const bad = await hook((_req, _body, res) => res.writeHead(200).end());
    expect((await emulator.validateWebhook(bad.url, 'CloudEvents')).ok).toBe(false);
  });
});
