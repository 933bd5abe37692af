import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startEmulator, EMULATOR_ACCESS_KEY, type AcsEmulator } from '../../dev/emulator';
import { serverCallIdFromConversationUrl } from '../../shared/acs/serverCallId';
import { azuriteConnectionString } from '../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../helpers/hostProcess';

/** callEvents, recordings and recordingState through the local host, against the ACS emulator and Azurite. */

const root = path.join(__dirname, '..', '..');
let emulator: AcsEmulator;
let host: HostProcess;

beforeAll(async () => {
  emulator = await startEmulator();
  host = await startHostProcess(root, {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    CONTROL_CONTAINER: `ctl-${randomUUID().slice(0, 8)}`,
  });
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

const newCallId = () =>
  serverCallIdFromConversationUrl(
    `https://api.flightproxy.skype.com/api/v2/cp/conv-${randomUUID()}.conv.skype.com/conv/${randomUUID()}`,
  );
const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${host.url}/api/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const startRequests = (serverCallId: string) =>
  emulator.requests.filter((r) => r.method === 'POST' && /\/calling\/recordings\?/.test(r.path) && r.status < 500)
    .length +
  0 * serverCallId.length;
const recordingOf = (serverCallId: string) =>
  [...emulator.recordings.values()].find((r) => r.serverCallId === serverCallId);

function eventGrid(type: string, data: object, subject = 'call/x') {
  return {
    id: randomUUID(),
    topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs',
    subject,
    eventType: type,
    eventTime: new Date().toISOString(),
    data,
    dataVersion: '1.0',
    metadataVersion: '1',
  };
}
function cloudEvent(type: string, data: object) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'calling/callConnections/abc',
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

describe('POST /api/call-events', () => {
  it('answers both subscription handshakes', async () => {
    const validation = await post(
      'call-events',
      [
        eventGrid(
          'Microsoft.EventGrid.SubscriptionValidationEvent',
          { validationCode: 'code-123', validationUrl: 'https://x' },
          '',
        ),
      ],
      { 'aeg-event-type': 'SubscriptionValidation' },
    );
    expect(validation.status).toBe(200);
    expect(await validation.json()).toEqual({ validationResponse: 'code-123' });
    const options = await fetch(`${host.url}/api/call-events`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('starts recording once for five concurrent CallStarted deliveries, and stops it on CallEnded', async () => {
    const serverCallId = newCallId();
    emulator.clearRequests();
    const started = eventGrid('Microsoft.Communication.CallStarted', {
      serverCallId,
      group: { id: randomUUID() },
      isTwoParty: false,
      correlationId: randomUUID(),
      isRoomsCall: false,
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('call-events', [started])));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(startRequests(serverCallId)).toBe(1);
    expect(recordingOf(serverCallId)?.state).toBe('active');
    expect(emulator.requests.every((r) => r.authorized || r.path.startsWith('/_emulator'))).toBe(true);
    const ended = eventGrid('Microsoft.Communication.CallEnded', { serverCallId, correlationId: randomUUID() });
    expect((await post('call-events', [ended])).status).toBe(200);
    expect(recordingOf(serverCallId)?.state).toBe('stopped');
    const state = await (await fetch(`${host.url}/api/recordings/${serverCallId}`)).json();
    expect(state).toMatchObject({ serverCallId, state: 'stopped' });
  });

  it('handles Call Automation CloudEvents and the 2021 CallLegStateChanged', async () => {
    const a = newCallId();
    expect(
      (
        await post(
          'call-events',
          cloudEvent('Microsoft.Communication.CallConnected', { serverCallId: a, callConnectionId: randomUUID() }),
        )
      ).status,
    ).toBe(200);
    expect(recordingOf(a)?.state).toBe('active');
    expect(
      (
        await post('call-events', [
          cloudEvent('Microsoft.Communication.CallDisconnected', { serverCallId: a, callConnectionId: randomUUID() }),
        ])
      ).status,
    ).toBe(200);
    expect(recordingOf(a)?.state).toBe('stopped');

    const b = newCallId();
    const leg = (state: string, id: string) =>
      eventGrid(
        'Microsoft.Communication.CallLegStateChanged',
        { ConversationId: b, CallLegId: id, CallState: state },
        `callLeg/${id}/callState`,
      );
    expect((await post('call-events', [leg('Established', 'leg-1'), leg('Established', 'leg-2')])).status).toBe(200);
    expect(recordingOf(b)?.startRequests).toBe(1);
    expect((await post('call-events', [leg('Terminated', 'leg-1')])).status).toBe(200);
    expect(recordingOf(b)?.state).toBe('stopped');
  });

  it('acknowledges unknown event types, refuses input that can never succeed with 400, and asks for a retry on ACS 500', async () => {
    expect((await post('call-events', [eventGrid('Microsoft.Communication.ParticipantsUpdated', {})])).status).toBe(
      200,
    );
    expect((await post('call-events', 'not json')).status).toBe(400);
    const bad = await post('call-events', [
      eventGrid('Microsoft.Communication.CallStarted', { serverCallId: 'a+b/c==' }),
    ]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/serverCallId/);
    emulator.setControlFault({ status: 500, times: 1 });
    const retry = await post('call-events', [
      eventGrid('Microsoft.Communication.CallStarted', { serverCallId: newCallId() }),
    ]);
    expect(retry.status).toBe(503);
  });
});

describe('Call Automation recording events on /api/call-events', () => {
  it('applies RecordingStateChanged and marks the call failed on StartRecordingFailed', async () => {
    const serverCallId = newCallId();
    const view = (await (await post('recordings', { serverCallId })).json()) as any;
    const paused = cloudEvent('Microsoft.Communication.RecordingStateChanged', {
      recordingId: view.recordingId,
      state: 'inactive',
      serverCallId,
    });
    expect((await post('call-events', [paused])).status).toBe(200);
    expect(((await (await fetch(`${host.url}/api/recordings/${serverCallId}`)).json()) as any).state).toBe('paused');
    const failed = cloudEvent('Microsoft.Communication.StartRecordingFailed', {
      serverCallId,
      callConnectionId: randomUUID(),
    });
    expect((await post('call-events', [failed])).status).toBe(200);
    expect(((await (await fetch(`${host.url}/api/recordings/${serverCallId}`)).json()) as any).state).toBe('failed');
    expect(host.lines.join('\n')).toMatch(/ACS could not start recording call/);
  });
});

describe('/api/recordings', () => {
  it('starts, reports, pauses, resumes and stops a recording', async () => {
    const serverCallId = newCallId();
    const start = await post('recordings', { serverCallId });
    expect(start.status).toBe(200);
    const view = (await start.json()) as any;
    expect(view).toMatchObject({ serverCallId, state: 'active', recordingId: expect.any(String) });
    expect((await post('recordings', { serverCallId })).status).toBe(200); // again: same recording, no second start
    expect(recordingOf(serverCallId)?.startRequests).toBe(1);
    expect(((await (await post(`recordings/${serverCallId}/pause`, {})).json()) as any).state).toBe('paused');
    expect(recordingOf(serverCallId)?.state).toBe('paused');
    expect(((await (await post(`recordings/${serverCallId}/resume`, {})).json()) as any).state).toBe('active');
    const get = (await (await fetch(`${host.url}/api/recordings/${serverCallId}`)).json()) as any;
    expect(get).toMatchObject({
      serverCallId,
      recordingId: view.recordingId,
      state: 'active',
      updatedAt: expect.any(String),
    });
    const stop = await fetch(`${host.url}/api/recordings/${serverCallId}`, { method: 'DELETE' });
    expect(((await stop.json()) as any).state).toBe('stopped');
    expect((await fetch(`${host.url}/api/recordings/${serverCallId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await post(`recordings/${serverCallId}/pause`, {})).status).toBe(409);
  });

  it('accepts a conversationUrl and encodes it as base64url', async () => {
    const url = `https://api.flightproxy.skype.com/api/v2/cp/conv/${randomUUID()}?i=4&e=637628463862688989`;
    const response = await post('recordings', { conversationUrl: url });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).serverCallId).toBe(Buffer.from(url).toString('base64url'));
  });

  it('gives clear errors for bad input and unknown calls, with no secret in any body or log line', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('recordings', {}), 400, /serverCallId/],
      [post('recordings', { serverCallId: 'aGVsbG8+d29ybGQ/Pw==' }), 400, /base64url/],
      [post('recordings', '{broken'), 400, /JSON/],
      [post('recordings', { serverCallId: 'x'.repeat(2 * 1024 * 1024) }), 413, /larger/],
      [fetch(`${host.url}/api/recordings/${newCallId()}`), 404, /No recording/],
      [post(`recordings/${newCallId()}/rewind`, {}), 400, /action/],
    ];
    for (const [request, status, message] of cases) {
      const response = await request;
      expect(response.status).toBe(status);
      const body = (await response.json()) as any;
      expect(body.error.message).toMatch(message);
      expect(JSON.stringify(body)).not.toContain(EMULATOR_ACCESS_KEY);
    }
    expect((await fetch(`${host.url}/api/recordings/${newCallId()}`, { method: 'PUT' })).status).toBe(405);
    expect(host.lines.join('\n')).not.toContain(EMULATOR_ACCESS_KEY);
    expect(host.lines.join('\n')).not.toMatch(/Signature=|HMAC-SHA256 /);
  });

  it('counts ACS 8553 (already recording, not by this app) as started, with recordingId null', async () => {
    const serverCallId = newCallId();
    const { createControlClient } = await import('../../shared/acs/controlClient');
    const { loadConfig } = await import('../../shared/config');
    // Another application started it (through the 2021 API, so no shared Repeatability-Request-ID).
    const acs = createControlClient(
      loadConfig({
        ACS_RECORDING_API: 'conversations',
        ACS_CONNECTION_STRING: emulator.connectionString,
        ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
      }).acs,
    );
    await acs.start({
      serverCallId,
      recording: { contentType: 'audio', channelType: 'mixed', formatType: 'mp3', pauseOnStart: false },
    });
    const response = await post('recordings', { serverCallId });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ serverCallId, recordingId: null, state: 'active' });
  });
});

describe('POST /api/recording-state', () => {
  it('records a RecordingStateChanged callback in the store', async () => {
    const serverCallId = newCallId();
    const view = (await (await post('recordings', { serverCallId })).json()) as any;
    const callback = cloudEvent('Microsoft.Communication.RecordingStateChanged', {
      recordingId: view.recordingId,
      state: 'inactive',
      serverCallId,
      recordingKind: 'AzureCommunicationServices',
    });
    expect((await post('recording-state', [callback])).status).toBe(200);
    expect(((await (await fetch(`${host.url}/api/recordings/${serverCallId}`)).json()) as any).state).toBe('paused');
  });
});
