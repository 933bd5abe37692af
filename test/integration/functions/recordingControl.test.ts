import { randomUUID } from 'node:crypto';
import { startEmulator, EMULATOR_ACCESS_KEY, type AcsEmulator } from '../../../dev/emulator';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import {
  callbackEvent,
  recordingPath,
  recordingsOf,
  startsFor,
  systemEvent,
  unpaddedServerCallId,
} from '../../helpers/hostCalls';
import { REPO_ROOT } from '../../helpers/paths';
import { eventually } from '../../helpers/eventually';

/**
 * callEvents, recordings and recordingState through the local host, against the ACS emulator (which sends its real
 * recording state callbacks to the host) and Azurite. Ids come in both forms ACS uses: padded standard base64 with
 * '/', '+' and '=' (the emulator's default, like the 2025-06-15 REST example) and unpadded base64url.
 */

const root = REPO_ROOT;
let emulator: AcsEmulator;
let host: HostProcess;

beforeAll(async () => {
  emulator = await startEmulator();
  host = await startHostProcess(root, (port) => ({
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    CONTROL_CONTAINER: `ctl-${randomUUID().slice(0, 8)}`,
    RECORDING_STATE_CALLBACK_URL: `http://127.0.0.1:${port}/api/recording-state`,
    // Callbacks here carry no token (the signed ones are tested in controlHostile and senders): taken unchecked.
    ACS_CALLBACK_AUTH: 'none',
  }));
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

const send = (route: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  fetch(`${host.url}/api/${route}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
const get = (route: string) => fetch(`${host.url}/api/${route}`);
const json = async (response: Response) => (await response.json()) as Record<string, any>;
const stateOf = async (serverCallId: string) => (await json(await get(recordingPath(serverCallId)))).state as string;

/** A call the emulator knows, with an id of the given form. */
async function newCall(form: 'padded' | 'unpadded') {
  const call = await emulator.startCall(form === 'unpadded' ? { serverCallId: unpaddedServerCallId() } : {});
  return call;
}

describe.each(['padded', 'unpadded'] as const)('with %s serverCallIds', (form) => {
  it('the id has the form under test', async () => {
    const { serverCallId } = await newCall(form);
    if (form === 'padded') expect(serverCallId).toMatch(/[+/=]/);
    else expect(serverCallId).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('starts once for five concurrent CallStarted deliveries, and stops on CallEnded', async () => {
    const { serverCallId } = await newCall(form);
    const started = systemEvent('CallStarted', serverCallId, emulator.resourceId);
    const answers = await Promise.all(Array.from({ length: 5 }, () => send('call-events', { body: [started] })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(startsFor(emulator, serverCallId)).toBe(1);
    expect(recordingsOf(emulator, serverCallId).map((r) => r.state)).toEqual(['active']);
    const ended = systemEvent('CallEnded', serverCallId, emulator.resourceId);
    expect((await send('call-events', { body: [ended] })).status).toBe(200);
    expect(recordingsOf(emulator, serverCallId).map((r) => r.state)).toEqual(['stopped']);
    expect(await json(await get(recordingPath(serverCallId)))).toMatchObject({ serverCallId, state: 'stopped' });
  });

  it('the API starts, reads, pauses, resumes and stops, with the id percent-encoded in the query', async () => {
    const { serverCallId } = await newCall(form);
    const start = await send('recordings', { body: { serverCallId } });
    expect(start.status).toBe(200);
    const view = await json(start);
    expect(view).toMatchObject({ serverCallId, state: 'active', recordingId: expect.any(String) });
    expect((await send('recordings', { body: { serverCallId } })).status).toBe(200); // again: no second start
    expect(startsFor(emulator, serverCallId)).toBe(1);
    expect(await json(await send(recordingPath(serverCallId, 'pause')))).toMatchObject({ state: 'paused' });
    expect(emulator.recordings.get(view.recordingId)?.state).toBe('paused');
    // Let ACS's callback for the pause arrive before the resume (callbacks are not ordered with API answers).
    await emulator.idle();
    expect(await json(await send(recordingPath(serverCallId, 'resume')))).toMatchObject({ state: 'active' });
    await emulator.idle();
    expect(await json(await get(recordingPath(serverCallId)))).toMatchObject({
      serverCallId,
      recordingId: view.recordingId,
      state: 'active',
      updatedAt: expect.any(String),
    });
    const stop = await send(recordingPath(serverCallId), { method: 'DELETE' });
    expect(await json(stop)).toMatchObject({ serverCallId, state: 'stopped' });
    expect(emulator.recordings.get(view.recordingId)?.state).toBe('stopped');
    expect((await send(recordingPath(serverCallId), { method: 'DELETE' })).status).toBe(200);
    expect((await send(recordingPath(serverCallId, 'pause'))).status).toBe(409);
    // The application may record the call again: a new start, a new recording.
    const again = await json(await send('recordings', { body: { serverCallId } }));
    expect(again).toMatchObject({ state: 'active' });
    expect(again.recordingId).not.toBe(view.recordingId);
  });

  it('applies the state callbacks ACS sends for a 202 start (inactive, then active)', async () => {
    const { serverCallId } = await newCall(form);
    emulator.setStartResponse({ status: 202, state: 'inactive', then: 'active', afterMs: 100, times: 1 });
    const view = await json(await send('recordings', { body: { serverCallId } }));
    expect(view).toMatchObject({ state: 'starting', recordingId: expect.any(String) });
    await eventually('the RecordingStateChanged callback', async () => (await stateOf(serverCallId)) === 'active');
  });
});

describe('Call Automation callbacks on /api/call-automation-events', () => {
  it('starts a CallConnected without serverCallId by its callConnectionId; CallDisconnected never stops', async () => {
    const call = await emulator.startCall();
    const callConnectionId = call.legs[0]!;
    const connected = callbackEvent('CallConnected', { callConnectionId, correlationId: call.callId });
    expect((await send('call-automation-events', { body: [connected] })).status).toBe(200);
    expect(recordingsOf(emulator, call.serverCallId).map((r) => r.state)).toEqual(['active']);
    expect(await json(await get(recordingPath(callConnectionId)))).toMatchObject({
      serverCallId: callConnectionId,
      state: 'active',
    });
    const disconnected = callbackEvent('CallDisconnected', { callConnectionId, correlationId: call.callId });
    expect((await send('call-automation-events', { body: [disconnected] })).status).toBe(200);
    expect(recordingsOf(emulator, call.serverCallId).map((r) => r.state)).toEqual(['active']);
    expect(await stateOf(callConnectionId)).toBe('active');
  });

  it('marks the recording failed on a StartRecordingFailed that names it', async () => {
    const { serverCallId } = await emulator.startCall();
    const view = await json(await send('recordings', { body: { serverCallId } }));
    const failed = callbackEvent('StartRecordingFailed', {
      recordingId: view.recordingId,
      serverCallId,
      correlationId: randomUUID(),
      resultInformation: { code: 500, subCode: 8500, message: 'the recording did not start' },
    });
    expect((await send('recording-state', { body: [failed] })).status).toBe(200);
    expect(await stateOf(serverCallId)).toBe('failed');
    expect(host.lines.join('\n')).toMatch(/ACS could not start recording call/);
  });

  it('handles the 2021 CallLegStateChanged: Established starts once per call, Terminated stops', async () => {
    const serverCallId = unpaddedServerCallId();
    // learn/call-recording.2021-04.CallLegStateChanged.txt: no id, no topic.
    const leg = (state: string, legId: string) => ({
      id: null,
      topic: null,
      subject: `callLeg/${legId}/callState`,
      data: { ConversationId: serverCallId, CallLegId: legId, CallState: state },
      eventType: 'Microsoft.Communication.CallLegStateChanged',
      eventTime: new Date().toISOString(),
      metadataVersion: null,
      dataVersion: null,
    });
    expect(
      (await send('call-automation-events', { body: [leg('Established', 'leg-1'), leg('Established', 'leg-2')] }))
        .status,
    ).toBe(200);
    expect(startsFor(emulator, serverCallId)).toBe(1);
    expect((await send('call-automation-events', { body: [leg('Terminated', 'leg-1')] })).status).toBe(200);
    expect(recordingsOf(emulator, serverCallId).map((r) => r.state)).toEqual(['stopped']);
  });

  it('still takes a callback at /api/call-events (an older setup), and warns that it belongs elsewhere', async () => {
    const call = await emulator.startCall();
    const mark = host.lines.length;
    const connected = callbackEvent('CallConnected', {
      callConnectionId: call.legs[0],
      serverCallId: call.serverCallId,
      correlationId: call.callId,
    });
    expect((await send('call-events', { body: [connected] })).status).toBe(200);
    expect(recordingsOf(emulator, call.serverCallId).map((r) => r.state)).toEqual(['active']);
    await eventually('the warning', () =>
      host.lines
        .slice(mark)
        .some((line) => line.includes('a Call Automation callback arrived at /api/call-events; give Call Automation')),
    );
    // Event Grid's own deliveries there draw no such warning (it would come before the line that says what was done).
    const before = host.lines.length;
    const ended = systemEvent('CallEnded', call.serverCallId, emulator.resourceId);
    expect((await send('call-events', { body: [ended] })).status).toBe(200);
    await eventually('the CallEnded to be handled', () =>
      host.lines.slice(before).some((line) => line.includes(`call events: event ${ended.id} `)),
    );
    expect(host.lines.slice(before).some((line) => line.includes('arrived at /api/call-events'))).toBe(false);
  });
});

describe('handshakes and errors', () => {
  it('answers both subscription handshakes', async () => {
    // learn/webhook-event-delivery.SubscriptionValidationEvent.json
    const validation = await send('call-events', {
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      body: [
        {
          id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
          topic: '/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
          subject: '',
          data: {
            validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
            validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/x',
          },
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: '2022-10-28T04:23:35.1981776Z',
          metadataVersion: '1',
          dataVersion: '1',
        },
      ],
    });
    expect(validation.status).toBe(200);
    expect(await validation.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    const options = await fetch(`${host.url}/api/call-events`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(options.status).toBe(200);
    expect(options.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('acknowledges unknown event types, refuses what can never succeed with 400, and asks for a retry on ACS 500', async () => {
    const unknown = callbackEvent('ParticipantsUpdated', { callConnectionId: randomUUID(), participants: [] });
    expect((await send('call-events', { body: [unknown] })).status).toBe(200);
    expect((await send('call-events', { body: 'not json' })).status).toBe(400);
    const bad = await send('call-events', {
      body: [systemEvent('CallStarted', 'has a space', emulator.resourceId)],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: 'BadInput',
        message: 'data.serverCallId must be printable ASCII without whitespace or control characters',
      },
    });
    const { serverCallId } = await emulator.startCall();
    // Every request one delivery sends (three) gets a 500.
    emulator.setControlFault({ status: 500, times: 3, operation: 'start' });
    const retry = await send('call-events', { body: [systemEvent('CallStarted', serverCallId, emulator.resourceId)] });
    expect(retry.status).toBe(503);
    expect(await retry.json()).toEqual({
      error: { code: 'AcsUnavailable', message: 'Temporarily unavailable; retry later' },
    });
  });

  it('gives clear errors for bad input and unknown calls, with no secret in any body or log line', async () => {
    const cases: Array<[Promise<Response>, number, string]> = [
      [send('recordings', { body: {} }), 400, 'serverCallId, conversationId or conversationUrl is required'],
      [
        send('recordings', { body: { serverCallId: 'has\nnewline' } }),
        400,
        'serverCallId must be printable ASCII without whitespace or control characters',
      ],
      [send('recordings', { body: '{broken' }), 400, 'body is not valid JSON'],
      [
        send('recordings', { body: { serverCallId: 'x'.repeat(2 * 1024 * 1024) } }),
        413,
        'body is larger than 1048576 bytes',
      ],
      [get(recordingPath(`unknown-${randomUUID().slice(0, 8)}`)), 404, 'No recording is known for call unknown-'],
      [send('recordings/abc/rewind'), 404, "no operation 'rewind' on a recording (use pause or resume)"],
    ];
    for (const [request, status, message] of cases) {
      const response = await request;
      expect(response.status).toBe(status);
      const body = await json(response);
      expect(body.error.message).toContain(message);
      expect(JSON.stringify(body)).not.toContain(EMULATOR_ACCESS_KEY);
    }
    expect((await fetch(`${host.url}/api/${recordingPath('abc')}`, { method: 'PUT' })).status).toBe(405);
    expect(host.lines.join('\n')).not.toContain(EMULATOR_ACCESS_KEY);
    expect(host.lines.join('\n')).not.toMatch(/Signature=|HMAC-SHA256 /);
  });

  it('counts ACS 8553 (already recording, not by this app) as active, with recordingId null', async () => {
    const { serverCallId } = await emulator.startCall();
    const { createControlClient } = await import('../../../shared/acs/controlClient');
    const { loadConfig } = await import('../../../shared/config');
    // Another application started it (through the 2021 API, so no shared Repeatability-Request-ID).
    const other = createControlClient(
      loadConfig({
        ACS_RECORDING_API: 'conversations',
        ACS_CONNECTION_STRING: emulator.connectionString,
        ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
      }).acs,
    );
    await other.start({
      locator: { kind: 'serverCallId', id: serverCallId },
      recording: { contentType: 'audio', channelType: 'mixed', formatType: 'mp3', pauseOnStart: false },
    });
    const response = await send('recordings', { body: { serverCallId } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ serverCallId, recordingId: null, state: 'active' });
  });
});
