import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startEmulator, type AcsEmulator, type EmulatorClock } from '../../../../dev/emulator';
import { ACS_PUBLIC } from '../../../helpers/paths';
import { control } from '../../../helpers/signedFetch';
import { startWebhookReceiver, type WebhookReceiver } from '../../../helpers/webhookReceiver';
import { eventually } from '../../../helpers/eventually';

/** The recording control API in both dialects, as raw signed HTTP. */

let emulator: AcsEmulator;
let callbacks: WebhookReceiver;
beforeAll(async () => {
  emulator = await startEmulator({ deliveryRetryDelaysMs: [] });
  callbacks = await startWebhookReceiver();
});
afterAll(async () => {
  await emulator.stop();
  await callbacks.close();
});
afterEach(() => {
  emulator.setStartResponse();
  emulator.setStartDelay(0);
  emulator.clearControlFaults();
});

const START = 'calling/recordings?api-version=2025-06-15';
const at = (recordingId: string, suffix = ''): string =>
  `calling/recordings/${encodeURIComponent(recordingId)}${suffix}?api-version=2025-06-15`;
const startBody = (serverCallId: string): object => ({
  callLocator: { kind: 'serverCallLocator', serverCallId },
  recordingStateCallbackUri: callbacks.url,
  recordingContentType: 'audio',
  recordingChannelType: 'mixed',
  recordingFormatType: 'wav',
});
const startOf = async (serverCallId: string): Promise<string> =>
  ((await (await control(emulator, 'POST', START, startBody(serverCallId))).json()) as { recordingId: string })
    .recordingId;
/** The callbacks received so far for one recording (the receiver is shared by the file's tests). */
const callbacksOf = (recordingId: string): any[] =>
  callbacks.received.flatMap((r) => r.body as any[]).filter((e) => e.data.recordingId === recordingId);

describe('calling (GA)', () => {
  it('requires api-version', async () => {
    const { serverCallId } = await emulator.startCall();
    const response = await control(emulator, 'POST', 'calling/recordings', startBody(serverCallId));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  it('answers as the 2025-06-15 example: recordingKind camelCase, the padded serverCallId kept as given', async () => {
    // The serverCallId of Azure/azure-rest-api-specs .../2025-06-15/examples/CallRecording_StartRecording.json.
    const serverCallId =
      'aHR0cHM6Ly9za3lwZS5uZXQvYXBpL3YyL2NwL3NreXBlLm5ldC9jb252LzFQd3ZKMTcxZFI/aT0wJmU9NzU3NzA4NzU3OQ==';
    const response = await control(emulator, 'POST', START, startBody(serverCallId));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { recordingId: string };
    expect(body).toEqual({
      recordingId: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      recordingState: 'active',
      recordingKind: 'azureCommunicationServices',
    });
    expect(emulator.recordings.get(body.recordingId)!.serverCallId).toBe(serverCallId);
    const state = await control(emulator, 'GET', at(body.recordingId));
    expect(await state.json()).toEqual({
      recordingId: body.recordingId,
      recordingState: 'active',
      recordingKind: 'azureCommunicationServices',
    });
  });

  it('replays a repeated Repeatability-Request-ID (2xx and 4xx alike) and logs both repeatability headers', async () => {
    const { serverCallId } = await emulator.startCall();
    const headers = {
      'repeatability-request-id': '0f7f5e2a-4f0e-4b7e-9d3c-2b1a0c9d8e7f',
      'repeatability-first-sent': 'Tue, 07 Jan 2025 10:00:00 GMT',
    };
    const first = await control(emulator, 'POST', START, startBody(serverCallId), headers);
    const retry = await control(emulator, 'POST', START, startBody(serverCallId), headers);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.headers.get('repeatability-result')).toBe('accepted');
    const firstBody = (await first.json()) as { recordingId: string };
    expect(await retry.json()).toEqual(firstBody);
    expect(emulator.recordings.get(firstBody.recordingId)!.startRequests).toBe(1);
    expect(
      emulator.requests
        .filter((r) => r.repeatabilityRequestId === '0f7f5e2a-4f0e-4b7e-9d3c-2b1a0c9d8e7f')
        .map((r) => [r.repeatabilityFirstSent, r.status, r.serverCallId === serverCallId]),
    ).toEqual([
      ['Tue, 07 Jan 2025 10:00:00 GMT', 200, true],
      ['Tue, 07 Jan 2025 10:00:00 GMT', 200, true],
    ]);

    const other = { 'repeatability-request-id': '6b0e8f4c-1d2a-4c3b-8e9f-0a1b2c3d4e5f' };
    const second = await control(emulator, 'POST', START, startBody(serverCallId), other);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: { code: '8553' } });
    expect(emulator.recordings.get(firstBody.recordingId)!.startRequests).toBe(2);
    const secondAgain = await control(emulator, 'POST', START, startBody(serverCallId), other);
    expect(secondAgain.status).toBe(400);
    expect(await secondAgain.json()).toMatchObject({ error: { code: '8553' } });
    expect(emulator.recordings.get(firstBody.recordingId)!.startRequests).toBe(2);
  });

  it('does not keep a 5xx: a retry after it is carried out', async () => {
    const { serverCallId } = await emulator.startCall();
    const headers = { 'repeatability-request-id': '3c1d9b7e-5a2f-4e6d-8c0b-7f9e1a2b3c4d' };
    emulator.setControlFault({ status: 503, operation: 'start' });
    expect((await control(emulator, 'POST', START, startBody(serverCallId), headers)).status).toBe(503);
    const retry = await control(emulator, 'POST', START, startBody(serverCallId), headers);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ recordingState: 'active' });
  });

  it('percent-decodes the recordingId exactly once, pauses as inactive, stops with 204 and then answers 404', async () => {
    const { serverCallId } = await emulator.startCall();
    const recordingId = await startOf(serverCallId);
    expect(recordingId).toMatch(/\+/);
    expect((await control(emulator, 'GET', `calling/recordings/${recordingId}?api-version=2025-06-15`)).status).toBe(
      404,
    );
    const twice = `calling/recordings/${encodeURIComponent(encodeURIComponent(recordingId))}?api-version=2025-06-15`;
    expect((await control(emulator, 'GET', twice)).status).toBe(404);
    expect((await control(emulator, 'POST', at(recordingId, ':pause'))).status).toBe(202);
    expect(await (await control(emulator, 'GET', at(recordingId))).json()).toMatchObject({
      recordingId,
      recordingState: 'inactive',
    });
    expect(emulator.recordings.get(recordingId)!.state).toBe('paused');
    expect((await control(emulator, 'POST', at(recordingId, ':resume'))).status).toBe(202);
    expect((await control(emulator, 'DELETE', at(recordingId))).status).toBe(204);
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'DELETE', recordingId, serverCallId, status: 204 });
    const gone = await control(emulator, 'GET', at(recordingId));
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: '8522', message: 'Recording not found.' } });
  });

  it('records a stopped call again, with a new recordingId', async () => {
    const { serverCallId } = await emulator.startCall();
    const first = await startOf(serverCallId);
    expect((await control(emulator, 'DELETE', at(first))).status).toBe(204);
    const again = await control(emulator, 'POST', START, startBody(serverCallId));
    expect(again.status).toBe(200);
    const { recordingId } = (await again.json()) as { recordingId: string };
    expect(recordingId).not.toBe(first);
    expect(emulator.recordings.get(recordingId)).toMatchObject({ serverCallId, state: 'active' });
  });

  it('starts by callConnectionId (the REST spec: only one of callLocator or callConnectionId)', async () => {
    const call = await emulator.startCall({ legs: 2 });
    const response = await control(emulator, 'POST', START, {
      callConnectionId: call.legs[1],
      recordingStateCallbackUri: callbacks.url,
    });
    expect(response.status).toBe(200);
    const { recordingId } = (await response.json()) as { recordingId: string };
    expect(emulator.recordings.get(recordingId)).toMatchObject({
      serverCallId: call.serverCallId,
      callConnectionId: call.legs[1],
    });
    await eventually('the callback', () => callbacksOf(recordingId).length === 1);
    expect(callbacksOf(recordingId)[0].data).toMatchObject({
      callConnectionId: call.legs[1],
      serverCallId: call.serverCallId,
    });
    const both = { ...startBody(call.serverCallId), callConnectionId: call.legs[0] };
    expect((await control(emulator, 'POST', START, both)).status).toBe(400);
    const unknown = await control(emulator, 'POST', START, {
      callConnectionId: 'a1b2c3d4-0000-4000-8000-000000000000',
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses a content / channel / format combination ACS does not record', async () => {
    const { serverCallId } = await emulator.startCall();
    const body = { ...startBody(serverCallId), recordingChannelType: 'unmixed', recordingFormatType: 'mp3' };
    const response = await control(emulator, 'POST', START, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'BadRequest' } });
  });

  it('answers 202 inactive when told, then reports the recording active', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setStartResponse({ status: 202, state: 'inactive' });
    const response = await control(emulator, 'POST', START, startBody(serverCallId));
    expect(response.status).toBe(202);
    const { recordingId, recordingState } = (await response.json()) as { recordingId: string; recordingState: string };
    expect(recordingState).toBe('inactive');
    await eventually('the callback', () => callbacksOf(recordingId).length === 1);
    expect(callbacksOf(recordingId).map((e) => [e.type, e.data.state])).toEqual([
      ['Microsoft.Communication.RecordingStateChanged', 'active'],
    ]);
    expect(await (await control(emulator, 'GET', at(recordingId))).json()).toMatchObject({ recordingState: 'active' });
  });

  it('sends StartRecordingFailed after a 202 when told, and the recording is gone', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setStartResponse({ status: 202, state: 'inactive', then: 'failed', times: 1 });
    const { recordingId } = (await (await control(emulator, 'POST', START, startBody(serverCallId))).json()) as {
      recordingId: string;
    };
    await eventually('the callback', () => callbacksOf(recordingId).length === 1);
    expect(callbacksOf(recordingId)[0]).toMatchObject({
      type: 'Microsoft.Communication.StartRecordingFailed',
      data: { recordingId, serverCallId, resultInformation: { code: 500 } },
    });
    expect((await control(emulator, 'GET', at(recordingId))).status).toBe(404);
    expect(emulator.recordings.get(recordingId)).toMatchObject({ state: 'stopped', failed: true });
    const next = await control(emulator, 'POST', START, startBody(serverCallId));
    expect([next.status, ((await next.json()) as any).recordingState]).toEqual([200, 'active']);
  });

  it('keeps a 202 inactive recording inactive with then: stay, until paused and resumed', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setStartResponse({ status: 202, state: 'inactive', then: 'stay' });
    const recordingId = await startOf(serverCallId);
    expect(emulator.recordings.get(recordingId)!.state).toBe('starting');
    expect(await (await control(emulator, 'GET', at(recordingId))).json()).toMatchObject({
      recordingState: 'inactive',
    });
    expect((await control(emulator, 'POST', at(recordingId, ':resume'))).status).toBe(202);
    expect(emulator.recordings.get(recordingId)!.state).toBe('active');
  });

  it('fails the next calls of one operation as told by setControlFault, in the service error shape', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 401, operation: 'pause' });
    emulator.setControlFault({ status: 503, code: 'ServiceUnavailable', times: 2, retryAfterSeconds: 1 });
    emulator.setControlFault({ status: 403, operation: 'stop' });
    for (let i = 0; i < 2; i++) {
      const response = await control(emulator, 'POST', START, startBody(serverCallId));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ error: { code: 'ServiceUnavailable' } });
    }
    const recordingId = await startOf(serverCallId);
    const pause = await control(emulator, 'POST', at(recordingId, ':pause'));
    expect([pause.status, ((await pause.json()) as any).error.code]).toEqual([401, 'Unauthorized']);
    const stop = await control(emulator, 'DELETE', at(recordingId));
    expect([stop.status, ((await stop.json()) as any).error.code]).toEqual([403, 'Forbidden']);
    expect((await control(emulator, 'DELETE', at(recordingId))).status).toBe(204);
  });

  it('answers a fault with a published body verbatim, and a Retry-After as an HTTP-date when told', async () => {
    const { serverCallId } = await emulator.startCall();
    const published = readFileSync(
      path.join(ACS_PUBLIC, 'sdk/java-callautomation.issue-32963.startRecording.500-9999.response.json'),
      'utf8',
    );
    const retryAfter = new Date(Date.now() + 60_000).toUTCString();
    emulator.setControlFault({ status: 500, body: JSON.parse(published), retryAfter, times: 2, operation: 'start' });
    for (let i = 0; i < 2; i++) {
      const response = await control(emulator, 'POST', START, startBody(serverCallId));
      expect([response.status, response.headers.get('retry-after')]).toEqual([500, retryAfter]);
      expect(await response.text()).toBe(published.trimEnd());
    }
    // The faulted starts are logged with the call they were for.
    expect(emulator.requests.slice(-2).map((r) => [r.status, r.serverCallId])).toEqual([
      [500, serverCallId],
      [500, serverCallId],
    ]);
    expect((await control(emulator, 'POST', START, startBody(serverCallId))).status).toBe(200);
  });

  it('a recording of a call that ended is gone: state, pause, resume and stop answer the recorded 404', async () => {
    const { serverCallId } = await emulator.startCall();
    const recordingId = await startOf(serverCallId);
    await emulator.endCall(serverCallId);
    const published = readFileSync(
      path.join(ACS_PUBLIC, 'sdk/js-callingserver.stopRecording.404-8522.response.json'),
      'utf8',
    );
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', ':pause'],
      ['POST', ':resume'],
      ['DELETE', ''],
    ] as const) {
      const response = await control(emulator, method, at(recordingId, suffix));
      expect([method, suffix, response.status, await response.text()]).toEqual([
        method,
        suffix,
        404,
        published.trimEnd(),
      ]);
    }
  });

  it('records an externalStorage start (bring your own storage) as the 2025-06-15 example sends it', async () => {
    const { serverCallId } = await emulator.startCall();
    const example = JSON.parse(
      readFileSync(path.join(ACS_PUBLIC, 'callautomation-rest/2025-06-15.CallRecording_StartRecording.json'), 'utf8'),
    ).parameters.startCallRecording as Record<string, unknown>;
    // Only the call and the callback (the example's is on contoso.communications.azure.com) are this test's.
    const body = {
      ...example,
      callLocator: { kind: 'serverCallLocator', serverCallId },
      recordingStateCallbackUri: callbacks.url,
    };
    const response = await control(emulator, 'POST', START, body);
    expect(response.status).toBe(200);
    const { recordingId } = (await response.json()) as { recordingId: string };
    expect(emulator.recordings.get(recordingId)?.externalStorage).toEqual({
      recordingStorageKind: 'azureBlobStorage',
      recordingDestinationContainerUrl: 'https://contoso.blob.core.windows.net/recordings',
    });
    await emulator.endCall(serverCallId);
  });

  it.each([
    ['not an object', 'azureBlobStorage'],
    ['no kind', { recordingDestinationContainerUrl: 'https://contoso.blob.core.windows.net/recordings' }],
    ['an unknown kind', { recordingStorageKind: 'amazonS3' }],
    [
      'a URL that is not absolute',
      { recordingStorageKind: 'azureBlobStorage', recordingDestinationContainerUrl: 'recordings' },
    ],
  ])('refuses an externalStorage with %s, as its REST definition does (400)', async (_what, externalStorage) => {
    const { serverCallId } = await emulator.startCall();
    const response = await control(emulator, 'POST', START, { ...startBody(serverCallId), externalStorage });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'BadRequest' } });
  });

  it('sends a StartRecordingFailed without recordingId when told (the field is optional in the GA schema)', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setStartResponse({
      status: 202,
      state: 'inactive',
      then: 'failed',
      failureWithoutRecordingId: true,
      times: 1,
    });
    const { recordingId } = (await (await control(emulator, 'POST', START, startBody(serverCallId))).json()) as {
      recordingId: string;
    };
    const failuresFor = () =>
      callbacks.received
        .flatMap((r) => r.body as any[])
        .filter(
          (e) => e.type === 'Microsoft.Communication.StartRecordingFailed' && e.data.serverCallId === serverCallId,
        );
    await eventually('the callback', () => failuresFor().length === 1);
    expect(failuresFor()[0].data).not.toHaveProperty('recordingId');
    expect(failuresFor()[0]).toMatchObject({ data: { serverCallId, resultInformation: { code: 500 } } });
    expect(emulator.recordings.get(recordingId)).toMatchObject({ state: 'stopped', failed: true });
  });

  it('refuses to record a call that has ended', async () => {
    const { serverCallId } = await emulator.startCall();
    await emulator.endCall(serverCallId);
    expect((await control(emulator, 'POST', START, startBody(serverCallId))).status).toBe(404);
  });
});

describe('a slow start', () => {
  it('holds the answer for the start delay; a stop meanwhile stops the recording the answer then names', async () => {
    const sleeps: number[] = [];
    const releases: Array<() => void> = [];
    const clock: EmulatorClock = {
      now: () => 0,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    };
    const slow = await startEmulator({ clock });
    try {
      slow.setStartDelay(45_000);
      const { serverCallId } = await slow.startCall();
      let answered = false;
      const pending = control(slow, 'POST', START, { callLocator: { kind: 'serverCallLocator', serverCallId } }).then(
        (response) => {
          answered = true;
          return response;
        },
      );
      await eventually('the start delay to begin', () => releases.length === 1);
      const [recording] = [...slow.recordings.values()];
      expect([recording!.state, answered, sleeps]).toEqual(['active', false, [45_000]]);
      const stop = await control(slow, 'DELETE', at(recording!.recordingId));
      expect(stop.status).toBe(204);
      releases[0]!();
      const response = await pending;
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ recordingId: recording!.recordingId, recordingState: 'active' });
      expect((await control(slow, 'GET', at(recording!.recordingId))).status).toBe(404);
    } finally {
      await slow.stop();
    }
  });
});

describe('Entra bearer tokens', () => {
  it('accepts only configured tokens, says why otherwise, and logs the scheme but never the token', async () => {
    const strict = await startEmulator({ entraTokens: ['configured-token-1'] });
    try {
      const { serverCallId } = await strict.startCall();
      const send = (token: string): Promise<Response> =>
        fetch(`${strict.endpoint}${START}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ callLocator: { kind: 'serverCallLocator', serverCallId } }),
        });
      const refused = await send('some-other-token');
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as any).error.message).toBe(
        "Denied by the emulator's Bearer verification: The bearer token is not one this emulator accepts (entraTokens).",
      );
      expect((await send('configured-token-1')).status).toBe(200);
      strict.addEntraToken('added-token-2');
      expect((await send('added-token-2')).status).toBe(400);
      expect(strict.requests.map((r) => [r.auth, r.authorized, r.status])).toEqual([
        ['bearer', false, 401],
        ['bearer', true, 200],
        ['bearer', true, 400],
      ]);
      expect(JSON.stringify(strict.requests)).not.toMatch(/configured-token-1|some-other-token|added-token-2/);
    } finally {
      await strict.stop();
    }
  });

  it('refuses every bearer token by default', async () => {
    const response = await fetch(`${emulator.endpoint}${START}`, {
      method: 'POST',
      headers: { authorization: 'Bearer anything' },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.message).toMatch(/accepts none/);
    expect(emulator.requests.at(-1)).toMatchObject({ auth: 'bearer', authorized: false, status: 401 });
  });
});

describe('conversations (2021 preview)', () => {
  it('starts, reports, pauses, resumes and stops with the 2021 paths, bodies, error shape and callback name', async () => {
    const { serverCallId } = await emulator.startCall();
    const conversation = encodeURIComponent(serverCallId);
    expect((await control(emulator, 'POST', `conversations/${serverCallId}/Recordings`, {})).status).toBe(404);
    const started = await control(emulator, 'POST', `conversations/${conversation}/Recordings`, {
      operationContext: 'ctx',
      recordingStateCallbackUri: callbacks.url,
    });
    expect(started.status).toBe(200);
    const { recordingId } = (await started.json()) as { recordingId: string };
    const base = `conversations/${conversation}/recordings/${encodeURIComponent(recordingId)}`;
    expect(await (await control(emulator, 'GET', base)).json()).toEqual({ recordingState: 'active' });
    expect((await control(emulator, 'POST', `${base}/Pause`)).status).toBe(200);
    expect(await (await control(emulator, 'GET', base)).json()).toEqual({ recordingState: 'inactive' });
    expect((await control(emulator, 'POST', `${base}/Resume`)).status).toBe(200);

    const again = await control(emulator, 'POST', `conversations/${conversation}/Recordings`, {
      operationContext: 'c',
    });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: '8553', message: expect.any(String) });

    expect((await control(emulator, 'DELETE', base, { operationContext: 'ctx' })).status).toBe(200);
    const gone = await control(emulator, 'GET', base);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ code: '8522', message: 'Recording not found.', target: null, details: [] });
    await eventually('four callbacks', () => callbacksOf(recordingId).length === 4);
    expect(callbacksOf(recordingId).map((e) => [e.type, e.data.state])).toEqual([
      ['Microsoft.Communication.CallRecordingStateChanged', 'active'],
      ['Microsoft.Communication.CallRecordingStateChanged', 'inactive'],
      ['Microsoft.Communication.CallRecordingStateChanged', 'active'],
      ['Microsoft.Communication.CallRecordingStateChanged', 'inactive'],
    ]);
    expect(emulator.recordings.get(recordingId)).toMatchObject({ dialect: 'conversations', state: 'stopped' });
  });
});

describe('admin helpers (not ACS)', () => {
  it('drives a standalone emulator with plain HTTP', async () => {
    const created = await fetch(`${emulator.endpoint}_emulator/calls`, { method: 'POST', body: '{"legs":2}' });
    expect(created.status).toBe(201);
    const { serverCallId, legs } = (await created.json()) as { serverCallId: string; legs: string[] };
    expect(legs).toHaveLength(2);
    const files = await fetch(`${emulator.endpoint}_emulator/recording-files`, {
      method: 'POST',
      body: JSON.stringify({ serverCallId, format: 'wav' }),
    });
    const { event } = (await files.json()) as { event: { data: { recordingFormatType: string } } };
    expect(event.data.recordingFormatType).toBe('Wav');
    const end = `${emulator.endpoint}_emulator/calls/${encodeURIComponent(serverCallId)}/end`;
    expect((await fetch(end, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${emulator.endpoint}_emulator/nothing`)).status).toBe(404);
  });
});
