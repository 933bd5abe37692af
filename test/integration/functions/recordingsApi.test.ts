import { randomUUID } from 'node:crypto';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { PADDED_SERVER_CALL_ID, UNPADDED_SERVER_CALL_ID } from '../../helpers/controlFixtures';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { recordingsOf, unpaddedServerCallId } from '../../helpers/hostCalls';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * The recordings API as callers reach it in Azure: the call named in the query or the body, through the local host
 * (which, like Azure's front end, never lets an encoded '/' in a path reach a route), against the ACS emulator and
 * Azurite. The id under test is Microsoft's own: the serverCallId of the 2025-06-15 StartRecording REST example,
 * standard base64 holding a '/'.
 */

let emulator: AcsEmulator;
let host: HostProcess;

beforeAll(async () => {
  emulator = await startEmulator();
  host = await startHostProcess(REPO_ROOT, (port) => ({
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    CONTROL_CONTAINER: `api-${randomUUID().slice(0, 8)}`,
    RECORDING_STATE_CALLBACK_URL: `http://127.0.0.1:${port}/api/recording-state`,
  }));
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

interface Answer {
  status: number;
  body: any;
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${host.url}/api/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
const q = (id: string) => `serverCallId=${encodeURIComponent(id)}`;
/** What reached ACS for this call's recordings (the control requests in the emulator's log). */
const controlRequests = () => emulator.requests.filter((r) => r.port === 'endpoint' && /recordings/.test(r.path));

describe("Microsoft's REST example id (it holds a '/')", () => {
  const id = PADDED_SERVER_CALL_ID;

  it('has the form under test', () => expect(id).toContain('/'));

  it('starts, reads, pauses, resumes and stops by body and by query', async () => {
    await emulator.startCall({ serverCallId: id });
    const started = await api('POST', 'recordings', { serverCallId: id });
    expect(started).toMatchObject({ status: 200, body: { serverCallId: id, state: 'active' } });
    const { recordingId } = started.body;
    expect(await api('GET', `recordings?${q(id)}`)).toMatchObject({ status: 200, body: { recordingId } });

    expect(await api('POST', 'recordings/pause', { serverCallId: id })).toMatchObject({ body: { state: 'paused' } });
    expect(emulator.recordings.get(recordingId)?.state).toBe('paused');
    await emulator.idle();
    expect(await api('POST', `recordings/resume?${q(id)}`)).toMatchObject({ body: { state: 'active' } });
    expect(emulator.recordings.get(recordingId)?.state).toBe('active');
    await emulator.idle();
    expect(await api('POST', `recordings/pause?${q(id)}`)).toMatchObject({ body: { state: 'paused' } });
    await emulator.idle();
    expect(await api('POST', 'recordings/resume', { serverCallId: id })).toMatchObject({ body: { state: 'active' } });
    await emulator.idle();

    expect(await api('POST', 'recordings/stop', { serverCallId: id })).toMatchObject({
      status: 200,
      body: { serverCallId: id, state: 'stopped' },
    });
    expect(emulator.recordings.get(recordingId)?.state).toBe('stopped');
    expect(await api('POST', 'recordings/stop', { serverCallId: id })).toMatchObject({ status: 200 }); // again

    // Recorded again, with the call in the query, and stopped by DELETE with the query.
    const again = await api('POST', `recordings?${q(id)}`);
    expect(again).toMatchObject({ status: 200, body: { state: 'active' } });
    expect(again.body.recordingId).not.toBe(recordingId);
    expect(await api('DELETE', `recordings?${q(id)}`)).toMatchObject({ status: 200, body: { state: 'stopped' } });
    expect(recordingsOf(emulator, id).map((r) => r.state)).toEqual(['stopped', 'stopped']);
  });

  it('gets 404 in every percent-encoded path form, and nothing reaches ACS', async () => {
    await emulator.startCall({ serverCallId: id });
    expect((await api('POST', 'recordings', { serverCallId: id })).body.state).toBe('active');
    const before = controlRequests().length;
    const encoded = encodeURIComponent(id);
    expect(encoded).toContain('%2F');
    for (const [method, path] of [
      ['GET', `recordings/${encoded}`],
      ['DELETE', `recordings/${encoded}`],
      ['POST', `recordings/${encoded}/pause`],
      ['POST', `recordings/${encoded}/resume`],
      ['GET', `recordings/${encoded.replace('%2F', '%2f')}`],
    ] as const) {
      expect({ method, path, status: (await api(method, path)).status }).toEqual({ method, path, status: 404 });
    }
    expect(controlRequests().slice(before)).toEqual([]);
    expect(await api('GET', `recordings?${q(id)}`)).toMatchObject({ body: { state: 'active' } });
    expect(await api('DELETE', `recordings?${q(id)}`)).toMatchObject({ body: { state: 'stopped' } });
  });

  it('says, in the 404 the function gives, where an id with / goes', async () => {
    const answer = await api('GET', `recordings/${encodeURIComponent(id)}`);
    expect(answer).toEqual({
      status: 404,
      body: {
        error: { code: 'NoSuchOperation', message: expect.stringContaining('GET /api/recordings?serverCallId=') },
      },
    });
  });
});

describe('the older path forms, for ids without /', () => {
  it('start, read, pause, resume and stop as before', async () => {
    const id = unpaddedServerCallId();
    await emulator.startCall({ serverCallId: id });
    expect((await api('POST', 'recordings', { serverCallId: id })).body.state).toBe('active');
    expect(await api('GET', `recordings/${id}`)).toMatchObject({ status: 200, body: { serverCallId: id } });
    expect(await api('POST', `recordings/${id}/pause`)).toMatchObject({ body: { state: 'paused' } });
    await emulator.idle();
    expect(await api('POST', `recordings/${id}/resume`)).toMatchObject({ body: { state: 'active' } });
    await emulator.idle();
    expect(await api('DELETE', `recordings/${id}`)).toMatchObject({ body: { state: 'stopped' } });
  });
});

describe('naming the call in a query', () => {
  it("refuses a raw '+' (a query reads it as a space) and takes the encoded one", async () => {
    const call = await emulator.startCall(); // the emulator's ids hold '+', '/' and '='
    expect(call.serverCallId).toContain('+');
    expect((await api('POST', 'recordings', { serverCallId: call.serverCallId })).status).toBe(200);
    const raw = await api('GET', `recordings?serverCallId=${call.serverCallId}`);
    expect(raw).toEqual({
      status: 400,
      body: { error: { code: 'BadInput', message: expect.stringMatching(/^serverCallId holds a '\+'/) } },
    });
    expect(await api('GET', `recordings?${q(call.serverCallId)}`)).toMatchObject({ status: 200 });
  });

  it('takes a conversationUrl, base64url-encoded into the serverCallId', async () => {
    const conversationUrl = 'https://skype.net/api/v2/cp/skype.net/conv/1PwvJ171dR?i=0&e=7577087579';
    await emulator.startCall({ serverCallId: UNPADDED_SERVER_CALL_ID });
    expect(await api('POST', 'recordings', { conversationUrl })).toMatchObject({
      body: { serverCallId: UNPADDED_SERVER_CALL_ID, state: 'active' },
    });
    expect(await api('GET', `recordings?conversationUrl=${encodeURIComponent(conversationUrl)}`)).toMatchObject({
      body: { serverCallId: UNPADDED_SERVER_CALL_ID, state: 'active' },
    });
    expect(await api('POST', 'recordings/stop', { conversationUrl })).toMatchObject({ body: { state: 'stopped' } });
  });

  it('refuses a call named twice or not at all, naming the field', async () => {
    expect(await api('GET', 'recordings')).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('serverCallId, conversationId or conversationUrl') } },
    });
    expect(await api('POST', `recordings/stop?${q('abc')}`, { serverCallId: 'abc' })).toMatchObject({
      status: 400,
      body: { error: { message: 'name the call once: got serverCallId (query), serverCallId (body)' } },
    });
    expect(await api('GET', 'recordings?serverCallId=a&serverCallId=b')).toMatchObject({
      status: 400,
      body: { error: { message: 'give serverCallId once in the query' } },
    });
    expect((await api('PUT', `recordings?${q('abc')}`)).status).toBe(405);
    expect((await api('GET', 'recordings/stop')).status).toBe(405);
  });
});
