import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { BlobServiceClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator, type EmulatorClock } from '../../../dev/emulator';
import { CallStore } from '../../../shared/control/callStore';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import {
  callbackEvent,
  hasControlCharacters,
  pausesAtAcs,
  recordingPath,
  recordingsOf,
  systemEvent,
} from '../../helpers/hostCalls';
import { corpusEvent } from '../../helpers/corpus';
import { REPO_ROOT } from '../../helpers/paths';
import { eventually } from '../../helpers/eventually';

/**
 * Recording control under attack, through the local host with everything on: function keys (LOCAL_HOST_KEYS), the
 * topic check (ACS_RESOURCE_ID) and Call Automation JWTs (ACS_IMMUTABLE_RESOURCE_ID, the emulator's OpenID
 * configuration). Each attack has a precise assertion on what reached ACS and what the app answered and logged.
 * The emulator's clock is gated: a start delay holds ACS's answer until the test releases it.
 */

const root = REPO_ROOT;
const KEYS = {
  master: `master-${randomUUID()}`,
  functions: {
    callEvents: `call-events-${randomUUID()}`,
    callAutomationEvents: `call-automation-events-${randomUUID()}`,
    recordingState: `recording-state-${randomUUID()}`,
    recordings: `recordings-${randomUUID()}`,
  },
};
const FOREIGN_TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/attacker/providers/Microsoft.Communication/communicationServices/evil';

const CONTROL_CONTAINER = `ctl-${randomUUID().slice(0, 8)}`;

let emulator: AcsEmulator;
let host: HostProcess;
/** Every sleep of the emulator (here only start delays) waits for the test to call its release. */
const held: Array<() => void> = [];
const gatedClock: EmulatorClock = {
  now: () => Date.now(),
  sleep: () => new Promise<void>((resolve) => held.push(resolve)),
};

beforeAll(async () => {
  emulator = await startEmulator({ clock: gatedClock });
  host = await startHostProcess(root, (port) => ({
    LOCAL_HOST_KEYS: JSON.stringify(KEYS),
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    CONTROL_CONTAINER,
    RECORDING_STATE_CALLBACK_URL: `http://127.0.0.1:${port}/api/recording-state?code=${KEYS.functions.recordingState}`,
    ACS_RESOURCE_ID: emulator.resourceId,
    ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
    ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
  }));
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

type Endpoint = 'callEvents' | 'callAutomationEvents' | 'recordingState' | 'recordings';
const routeOf: Record<Endpoint, string> = {
  callEvents: 'call-events',
  callAutomationEvents: 'call-automation-events',
  recordingState: 'recording-state',
  recordings: 'recordings',
};

/** A request to one of the app's endpoints, with that function's own key unless told otherwise. */
function call(
  endpoint: Endpoint,
  init: { path?: string; method?: string; body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
) {
  const key = init.key === undefined ? KEYS.functions[endpoint] : init.key;
  const route = init.path ?? routeOf[endpoint];
  return fetch(`${host.url}/api/${route}`, {
    method: init.method ?? 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { 'x-functions-key': key } : {}),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const viewOf = async (serverCallId: string) =>
  (await (await call('recordings', { path: recordingPath(serverCallId), method: 'GET' })).json()) as Record<
    string,
    any
  >;

async function recordedCall(): Promise<{ serverCallId: string; recordingId: string }> {
  const { serverCallId } = await emulator.startCall();
  const response = await call('recordings', { body: { serverCallId } });
  expect(response.status).toBe(200);
  const view = (await response.json()) as { recordingId: string };
  await emulator.idle(); // the emulator's own (signed) callback for the start has been delivered
  return { serverCallId, recordingId: view.recordingId };
}

describe('function keys', () => {
  it.each(['callEvents', 'callAutomationEvents', 'recordingState', 'recordings'] as const)(
    '%s refuses a request without its key',
    async (endpoint) => {
      expect((await call(endpoint, { key: null, body: [] })).status).toBe(401);
      const otherKey = endpoint === 'recordings' ? KEYS.functions.callEvents : KEYS.functions.recordings;
      expect((await call(endpoint, { key: otherKey, body: [] })).status).toBe(401);
    },
  );
});

describe('the topic check', () => {
  it('an anonymous CallEnded with a foreign topic stops nothing: 401 without a key, 403 with one', async () => {
    const { serverCallId, recordingId } = await recordedCall();
    const forged = systemEvent('CallEnded', serverCallId, FOREIGN_TOPIC);
    emulator.clearRequests();
    expect((await call('callEvents', { key: null, body: [forged] })).status).toBe(401);
    const refused = await call('callEvents', { body: [forged] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: {
        code: 'ForeignTopic',
        message: `event ${forged.id} (Microsoft.Communication.CallEnded) comes from topic '${FOREIGN_TOPIC}', not from the ACS resource in ACS_RESOURCE_ID`,
      },
    });
    expect(emulator.requests.filter((r) => r.port === 'endpoint')).toEqual([]);
    expect(emulator.recordings.get(recordingId)?.state).toBe('active');
    expect((await viewOf(serverCallId)).state).toBe('active');
    await host.waitForLine(/RequestRejected \{"endpoint":"callEvents","status":403,"failureCode":"ForeignTopic"/);
    // The rightful sender is obeyed.
    const real = systemEvent('CallEnded', serverCallId, emulator.resourceId);
    expect((await call('callEvents', { body: [real] })).status).toBe(200);
    expect(emulator.recordings.get(recordingId)?.state).toBe('stopped');
  });

  it('a foreign CallStarted starts nothing, and neither does a batch that hides one', async () => {
    const { serverCallId } = await emulator.startCall();
    const ours = systemEvent('CallStarted', serverCallId, emulator.resourceId);
    const theirs = systemEvent('CallStarted', serverCallId, FOREIGN_TOPIC);
    expect((await call('callEvents', { body: [ours, theirs] })).status).toBe(403);
    expect(recordingsOf(emulator, serverCallId)).toEqual([]);
  });
});

describe('the Call Automation callback URL (/api/call-automation-events)', () => {
  it('refuses a forged CallEnded with the right topic and no token (403): the recording keeps running', async () => {
    const { serverCallId, recordingId } = await recordedCall();
    const forged = systemEvent('CallEnded', serverCallId, emulator.resourceId);
    emulator.clearRequests();
    const refused = await call('callAutomationEvents', { body: [forged] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: {
        code: 'NotACallback',
        message: `event ${forged.id} (Microsoft.Communication.CallEnded) is an Event Grid event; this endpoint takes only Call Automation callbacks: Event Grid subscriptions belong on /api/call-events`,
      },
    });
    // Not even with a valid callback token (a leaked one): Call Automation never sends CallEnded.
    const withToken = await call('callAutomationEvents', { body: [forged], headers: bearer(emulator.callbackToken()) });
    expect(withToken.status).toBe(403);
    expect(emulator.requests.filter((r) => r.port === 'endpoint')).toEqual([]);
    expect(emulator.recordings.get(recordingId)?.state).toBe('active');
    expect((await viewOf(serverCallId)).state).toBe('active');
  });

  it('refuses a CallStarted and an Event Grid handshake there too, and starts nothing', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = systemEvent('CallStarted', serverCallId, emulator.resourceId);
    expect((await call('callAutomationEvents', { body: [started] })).status).toBe(403);
    const handshake = corpusEvent('learn/webhook-event-delivery.SubscriptionValidationEvent.json');
    const answer = await call('callAutomationEvents', { body: [handshake] });
    expect(answer.status).toBe(403);
    expect(await answer.json()).not.toHaveProperty('validationResponse');
    expect(recordingsOf(emulator, serverCallId)).toEqual([]);
  });
});

describe('Call Automation JWTs', () => {
  const inactiveFor = (serverCallId: string, recordingId: string) =>
    callbackEvent('RecordingStateChanged', {
      recordingId,
      state: 'inactive',
      startDateTime: new Date().toISOString(),
      recordingKind: 'azureCommunicationServices',
      serverCallId,
      correlationId: randomUUID(),
    });

  it.each([
    ['no token', () => ({}), 'MissingToken'],
    ['a token signed by a foreign key', () => bearer(emulator.callbackToken({ foreignKey: true })), 'InvalidToken'],
    ['an expired token', () => bearer(emulator.callbackToken({ expiresInSeconds: -60 })), 'InvalidToken'],
    [
      'a token for another audience',
      () => bearer(emulator.callbackToken({ audience: '11111111-2222-3333-4444-555555555555' })),
      'InvalidToken',
    ],
  ])('refuses a callback with %s (401) and changes nothing', async (_name, headers, code) => {
    const { serverCallId, recordingId } = await recordedCall();
    for (const endpoint of ['recordingState', 'callAutomationEvents', 'callEvents'] as const) {
      const response = await call(endpoint, { body: [inactiveFor(serverCallId, recordingId)], headers: headers() });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect((await viewOf(serverCallId)).state).toBe('active');
  });

  it('accepts a callback with a valid token', async () => {
    const { serverCallId, recordingId } = await recordedCall();
    const response = await call('recordingState', {
      body: [inactiveFor(serverCallId, recordingId)],
      headers: bearer(emulator.callbackToken()),
    });
    expect(response.status).toBe(200);
    // The callback moved the stored state. (A read asks ACS first, and ACS, never paused, would say active.)
    const store = new CallStore(
      BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(CONTROL_CONTAINER),
    );
    expect((await store.get(serverCallId))!.record.state).toBe('paused');
  });

  it.each(['callAutomationEvents', 'callEvents'] as const)(
    '%s refuses an unsigned CallConnected: nothing starts',
    async (endpoint) => {
      const call_ = await emulator.startCall();
      const connected = callbackEvent('CallConnected', {
        callConnectionId: call_.legs[0],
        serverCallId: call_.serverCallId,
        correlationId: call_.callId,
      });
      expect((await call(endpoint, { body: [connected] })).status).toBe(401);
      expect(recordingsOf(emulator, call_.serverCallId)).toEqual([]);
      const signed = await call(endpoint, { body: [connected], headers: bearer(emulator.callbackToken()) });
      expect(signed.status).toBe(200);
      expect(recordingsOf(emulator, call_.serverCallId).map((r) => r.state)).toEqual(['active']);
    },
  );
});

describe('a state machine no callback can bend', () => {
  it('a forged inactive callback followed by a real pause: exactly one :pause reaches ACS', async () => {
    const { serverCallId, recordingId } = await recordedCall();
    emulator.clearRequests();
    // Forged without a token: refused. Forged with a valid token (a leaked one) about another recording: ignored.
    const forged = callbackEvent('RecordingStateChanged', {
      recordingId,
      state: 'inactive',
      recordingKind: 'azureCommunicationServices',
      serverCallId,
    });
    expect((await call('recordingState', { body: [forged] })).status).toBe(401);
    const planted = callbackEvent('RecordingStateChanged', {
      recordingId: 'cGxhbnRlZA+/==',
      state: 'inactive',
      recordingKind: 'azureCommunicationServices',
      serverCallId,
    });
    const plantedAnswer = await call('recordingState', { body: [planted], headers: bearer(emulator.callbackToken()) });
    expect(plantedAnswer.status).toBe(200);
    const teams = callbackEvent('RecordingStateChanged', {
      recordingId,
      state: 'inactive',
      recordingKind: 'teamsCompliance',
      serverCallId,
    });
    expect((await call('recordingState', { body: [teams], headers: bearer(emulator.callbackToken()) })).status).toBe(
      200,
    );
    expect(await viewOf(serverCallId)).toMatchObject({ state: 'active', recordingId });
    const pause = await call('recordings', { path: recordingPath(serverCallId, 'pause') });
    expect(await pause.json()).toMatchObject({ state: 'paused', recordingId });
    expect(pausesAtAcs(emulator, recordingId)).toBe(1);
    expect(emulator.recordings.get(recordingId)?.state).toBe('paused');
    // The planted recordingId was never learnt: a stop goes to the real recording.
    await call('recordings', { path: recordingPath(serverCallId), method: 'DELETE' });
    expect(emulator.recordings.get(recordingId)?.state).toBe('stopped');
    expect(emulator.requests.some((r) => r.path.includes(encodeURIComponent('cGxhbnRlZA+/==')))).toBe(false);
  });

  it('a stop during a slow start wins: nobody hears "stopped" while ACS records', async () => {
    const { serverCallId } = await emulator.startCall();
    const store = new CallStore(
      BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(CONTROL_CONTAINER),
    );
    emulator.setStartDelay(45_000); // on the gated clock: ACS holds its answer until released below
    try {
      const starting = call('recordings', { body: { serverCallId } });
      await eventually('ACS to hold its answer to the start', () => held.length === 1);
      expect(recordingsOf(emulator, serverCallId).map((r) => r.state)).toEqual(['active']);
      let stopAnswered = false;
      const stopping = call('recordings', { path: recordingPath(serverCallId), method: 'DELETE' }).then((response) => {
        stopAnswered = true;
        return response;
      });
      // The stop is waiting for the start: its mark is stored, no DELETE reached ACS, and nobody heard "stopped".
      // NOTE: `!= null`: eventually() takes null as an answer, and an unmarked record holds `stopRequested: null`.
      await eventually(
        'the stop to be recorded',
        async () => (await store.get(serverCallId))?.record.stopRequested != null,
      );
      expect(emulator.requests.filter((r) => r.serverCallId === serverCallId && r.method === 'DELETE')).toEqual([]);
      expect(stopAnswered).toBe(false);
      held.shift()!();
      const stop = await stopping;
      // When the stop answers, ACS has stopped: no recording of this call is active.
      const statesWhenStopAnswered = recordingsOf(emulator, serverCallId).map((r) => r.state);
      expect(stop.status).toBe(200);
      expect(await stop.json()).toMatchObject({ serverCallId, state: 'stopped' });
      expect(statesWhenStopAnswered).toEqual(['stopped']);
      const start = await starting;
      expect(await start.json()).toMatchObject({ serverCallId, state: 'stopped' });
    } finally {
      emulator.setStartDelay(0);
      for (const release of held.splice(0)) release();
    }
  });
});

describe('bodies and logs', () => {
  /** POSTs `total` bytes in 64 KiB chunks with Transfer-Encoding: chunked (no Content-Length). */
  function chunkedPost(route: string, key: string, total: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${host.url}/api/${route}`);
      const req = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': key } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (piece: string) => (body += piece));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, ' ');
      req.write('[');
      for (let sent = 1; sent < total; sent += chunk.length) req.write(chunk);
      req.end(']');
    });
  }

  it.each(['callEvents', 'callAutomationEvents', 'recordingState', 'recordings'] as const)(
    '%s answers a 5 MiB chunked body with 413 and acts on nothing',
    async (endpoint) => {
      const before = emulator.recordings.size;
      const answer = await chunkedPost(routeOf[endpoint], KEYS.functions[endpoint], 5 * 1024 * 1024);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        error: { code: 'PayloadTooLarge', message: 'body is larger than 1048576 bytes' },
      });
      expect(emulator.recordings.size).toBe(before);
    },
  );

  it('CR/LF and escape codes in event ids and reasons reach neither the logs nor the answers', async () => {
    const { serverCallId } = await emulator.startCall();
    const marker = `FORGED-${randomUUID().slice(0, 8)}`;
    const plantedId = `x\r\nRecordingStopped {"serverCallId":"${marker}"}\u001b[2J\u001b]0;pwned\u0007`;
    const answers: string[] = [];
    const mark = host.lines.length; // what this test makes the app log comes after
    // A foreign topic with escape codes, an event id with CR/LF, a serverCallId with CR/LF, a bad action.
    const foreign = {
      ...systemEvent('CallEnded', serverCallId, `${FOREIGN_TOPIC}\u001b[31m\r\n${marker}`),
      id: plantedId,
    };
    answers.push(await (await call('callEvents', { body: [foreign] })).text());
    const badId = systemEvent('CallStarted', `abc\r\n${marker}`, emulator.resourceId, plantedId);
    answers.push(await (await call('callEvents', { body: [badId] })).text());
    const good = systemEvent('CallStarted', serverCallId, emulator.resourceId, plantedId);
    expect((await call('callEvents', { body: [good] })).status).toBe(200);
    answers.push(
      await (
        await call('recordings', { path: `recordings/abc/${encodeURIComponent(`re\r\n${marker}\u001b`)}` })
      ).text(),
    );
    for (const answer of answers) {
      expect(hasControlCharacters(answer)).toBe(false);
      expect(answer).not.toMatch(/\\r|\\n|\\u00[01][0-9a-f]/i);
    }
    // This test's own lines: the good CallStarted's RecordingStarted, and the refusal of the last request.
    const started = `RecordingStarted {"serverCallId":"${serverCallId.slice(0, 24)}…"`;
    const lastRefusal = (line: string) =>
      line.includes('RequestRejected {"endpoint":"recordings"') && line.includes(marker);
    await eventually("this test's RecordingStarted and last RequestRejected lines", () => {
      const since = host.lines.slice(mark);
      return since.some((line) => line.includes(started)) && since.some(lastRefusal);
    });
    const logged = host.lines.slice(mark);
    expect(hasControlCharacters(logged.join('\n'), ['\n', '\t'])).toBe(false);
    expect(logged.some((line) => line.startsWith(`RecordingStopped {"serverCallId":"${marker}"`))).toBe(false);
    expect(logged.filter((line) => line.includes(marker)).every((line) => !line.trimStart().startsWith(marker))).toBe(
      true,
    );
  });
});
