import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { signedFetch } from './signedFetch';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver';

/** The recording control API in both dialects (SPEC section 2), as raw signed HTTP. */

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

const API = 'api-version=2025-06-15';
const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> =>
  signedFetch(emulator, `${emulator.endpoint}${path.replace(/^\//, '')}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers,
    xMsHost: null,
  });
const startBody = (serverCallId: string): object => ({
  callLocator: { kind: 'serverCallLocator', serverCallId },
  recordingStateCallbackUri: callbacks.url,
  recordingContentType: 'audio',
  recordingChannelType: 'mixed',
  recordingFormatType: 'wav',
});

describe('calling (GA)', () => {
  it('requires api-version', async () => {
    const { serverCallId } = await emulator.startCall();
    const response = await call('POST', '/calling/recordings', startBody(serverCallId));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  it('honours Repeatability-Request-ID, and answers 8553 to a second logical start', async () => {
    const { serverCallId } = await emulator.startCall();
    const headers = {
      'repeatability-request-id': crypto.randomUUID(),
      'repeatability-first-sent': new Date().toUTCString(),
    };
    const first = await call('POST', `/calling/recordings?${API}`, startBody(serverCallId), headers);
    const retry = await call('POST', `/calling/recordings?${API}`, startBody(serverCallId), headers);
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { recordingId: string; recordingState: string };
    expect(firstBody).toMatchObject({ recordingState: 'active', recordingKind: 'AzureCommunicationServices' });
    expect(await retry.json()).toEqual(firstBody);
    const ofCall = [...emulator.recordings.values()].filter((r) => r.serverCallId === serverCallId);
    expect(ofCall).toHaveLength(1);
    expect(ofCall[0]!.startRequests).toBe(1);

    const second = await call('POST', `/calling/recordings?${API}`, startBody(serverCallId), {
      'repeatability-request-id': crypto.randomUUID(),
    });
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: { code: '8553' } });
  });

  it('percent-decodes the recordingId, pauses as inactive, stops with 204 and then answers 404', async () => {
    const { serverCallId } = await emulator.startCall();
    const { recordingId } = (await (
      await call('POST', `/calling/recordings?${API}`, startBody(serverCallId))
    ).json()) as {
      recordingId: string;
    };
    expect(recordingId).toMatch(/[+/=]/);
    const id = encodeURIComponent(recordingId);
    expect((await call('GET', `/calling/recordings/${recordingId}?${API}`)).status).toBe(404);
    expect((await call('POST', `/calling/recordings/${id}:pause?${API}`)).status).toBe(202);
    expect(await (await call('GET', `/calling/recordings/${id}?${API}`)).json()).toMatchObject({
      recordingId,
      recordingState: 'inactive',
    });
    expect(emulator.recordings.get(recordingId)!.state).toBe('paused');
    expect((await call('POST', `/calling/recordings/${id}:resume?${API}`)).status).toBe(202);
    expect((await call('DELETE', `/calling/recordings/${id}?${API}`)).status).toBe(204);
    const gone = await call('GET', `/calling/recordings/${id}?${API}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  });

  it('fails the next calls as told by setControlFault', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 503, code: 'ServiceUnavailable', times: 2, retryAfterSeconds: 1 });
    for (let i = 0; i < 2; i++) {
      const response = await call('POST', `/calling/recordings?${API}`, startBody(serverCallId));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ error: { code: 'ServiceUnavailable' } });
    }
    expect((await call('POST', `/calling/recordings?${API}`, startBody(serverCallId))).status).toBe(200);
  });

  it('refuses to record a call that has ended', async () => {
    const { serverCallId } = await emulator.startCall();
    await emulator.endCall(serverCallId);
    expect((await call('POST', `/calling/recordings?${API}`, startBody(serverCallId))).status).toBe(404);
  });
});

describe('conversations (2021 preview)', () => {
  it('starts, reports, pauses, resumes and stops with the 2021 paths, bodies and error shape', async () => {
    const { serverCallId } = await emulator.startCall();
    const before = callbacks.received.length;
    const started = await call('POST', `/conversations/${serverCallId}/Recordings`, {
      operationContext: 'ctx',
      recordingStateCallbackUri: callbacks.url,
    });
    expect(started.status).toBe(200);
    const { recordingId } = (await started.json()) as { recordingId: string };
    const base = `/conversations/${serverCallId}/recordings/${encodeURIComponent(recordingId)}`;
    expect(await (await call('GET', base)).json()).toEqual({ recordingState: 'active' });
    expect((await call('POST', `${base}/Pause`)).status).toBe(200);
    expect(await (await call('GET', base)).json()).toEqual({ recordingState: 'inactive' });
    expect((await call('POST', `${base}/Resume`)).status).toBe(200);

    const again = await call('POST', `/conversations/${serverCallId}/Recordings`, { operationContext: 'ctx' });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: '8553', message: expect.any(String) });

    expect((await call('DELETE', base, { operationContext: 'ctx' })).status).toBe(200);
    const gone = await call('GET', base);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    await callbacks.waitFor(before + 4);
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
    const ended = await fetch(`${emulator.endpoint}_emulator/calls/${serverCallId}/end`, { method: 'POST' });
    expect(ended.status).toBe(204);
    expect((await fetch(`${emulator.endpoint}_emulator/nothing`)).status).toBe(404);
  });
});
