import type { TokenCredential } from '@azure/core-auth';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
import {
  AcsNotFoundError,
  AcsUnavailableError,
  createControlClient,
  parseAcsError,
  type RecordingControlClient,
} from '../../../../shared/acs/controlClient';
import { AccessDeniedError } from '../../../../shared/acs/download';
import { loadConfig, type AcsSettings, type RecordingOptions } from '../../../../shared/config';
import { NotFoundError, PermanentError, RetryableError } from '../../../../shared/errors';
import { corpusPayload } from '../../../helpers/corpus';

/** Microsoft's published persistent 500 (test/fixtures/acs-public, from Azure/azure-sdk-for-java issue 32963). */
const UNKNOWN_INTERNAL_ERROR = 'sdk/java-callautomation.issue-32963.startRecording.500-9999.response.json';

const recording: RecordingOptions = {
  contentType: 'audio',
  channelType: 'mixed',
  formatType: 'mp3',
  pauseOnStart: false,
};

let emulator: AcsEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ entraTokens: ['entra-token-for-tests'] });
});
afterAll(async () => {
  await emulator?.stop();
});

function settings(dialect: 'calling' | 'conversations', identity = false): AcsSettings {
  const env: Record<string, string> = {
    ACS_RECORDING_API: dialect,
    ARCHIVE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  };
  if (identity) env.ACS_ENDPOINT = emulator.endpoint;
  else env.ACS_CONNECTION_STRING = emulator.connectionString;
  return loadConfig(env).acs;
}

const byServerCallId = (id: string) => ({ kind: 'serverCallId' as const, id });
/** What the emulator logged of the requests to the control API (endpoint port). */
const controlRequests = () => emulator.requests.filter((r) => r.port === 'endpoint');

describe('parseAcsError', () => {
  it('reads both error shapes, tolerates HTML, and strips control characters', () => {
    // GA: {"error":{code,message}}; 2021: {code,message} (the two dialects' error bodies; js-callingserver 8553 fixture).
    expect(parseAcsError('{"error":{"code":"8553","message":"m"}}')).toEqual({ code: '8553', message: 'm' });
    expect(parseAcsError('{"code":8553,"message":"m"}')).toEqual({ code: '8553', message: 'm' });
    expect(parseAcsError('<html>oops</html>')).toEqual({});
    expect(parseAcsError('{"error":{"code":"X","message":"a\\r\\nb"}}')).toEqual({ code: 'X', message: 'a??b' });
  });
});

describe.each(['calling', 'conversations'] as const)('%s dialect against the emulator', (dialect) => {
  let client: RecordingControlClient;
  beforeAll(() => {
    client = createControlClient(settings(dialect));
  });

  it('starts, pauses, resumes, reads state and stops, every request signed', async () => {
    emulator.clearRequests();
    const { serverCallId } = await emulator.startCall();
    const started = await client.start({ locator: byServerCallId(serverCallId), recording });
    if (started.kind !== 'started') throw new Error(`expected a start, got ${started.kind}`);
    expect(started.state).toBe('active');
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('active');
    await client.pause(serverCallId, started.recordingId);
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('paused');
    expect(await client.state(serverCallId, started.recordingId)).toBe('inactive');
    await client.resume(serverCallId, started.recordingId);
    expect(await client.state(serverCallId, started.recordingId)).toBe('active');
    await client.stop(serverCallId, started.recordingId);
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('stopped');
    expect(controlRequests()).toHaveLength(6);
    expect(controlRequests().every((r) => r.authorized)).toBe(true);
  });

  it('treats 8553 (a recording this client did not start) as already in progress', async () => {
    const { serverCallId } = await emulator.startCall();
    const other = createControlClient(settings(dialect === 'calling' ? 'conversations' : 'calling'));
    await other.start({ locator: byServerCallId(serverCallId), recording });
    await expect(client.start({ locator: byServerCallId(serverCallId), recording })).resolves.toEqual({
      kind: 'alreadyInProgress',
      recordingId: null,
    });
  });

  it('classifies 500 and 429 as retryable (with Retry-After), 401/403 as access denied, 404 as not found', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 500, times: 1 });
    await expect(client.start({ locator: byServerCallId(serverCallId), recording })).rejects.toBeInstanceOf(
      RetryableError,
    );
    emulator.setControlFault({ status: 429, retryAfterSeconds: 7, times: 1 });
    await expect(client.start({ locator: byServerCallId(serverCallId), recording })).rejects.toMatchObject({
      code: 'AcsUnavailable',
      retryAfterMs: 7000,
    });
    emulator.setControlFault({ status: 401, times: 1 });
    const denied = await client.start({ locator: byServerCallId(serverCallId), recording }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(denied).toBeInstanceOf(RetryableError);
    expect(denied).toMatchObject({ status: 401, code: 'AcsAccessDenied' });
    const missing = await client.state(serverCallId, 'no+such/recording=').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    // ACS's own error text is kept out of a message that could reach a caller.
    expect((missing as Error).message).not.toMatch(/Recording not found/);
  });
});

describe('GA start', () => {
  const client = () => createControlClient(settings('calling'));

  it('sends the stored Repeatability-Request-ID and First-Sent; a retry gets the same recording back', async () => {
    const { serverCallId } = await emulator.startCall();
    // NOTE: ACS refuses a First-Sent older than 5 minutes (412), so the time is now, not a fixed date.
    const firstSent = new Date().toUTCString();
    const repeatability = { requestId: '0f8fad5b-d9cb-469f-a165-70867728950e', firstSent };
    const first = await client().start({ locator: byServerCallId(serverCallId), recording, repeatability });
    const again = await client().start({ locator: byServerCallId(serverCallId), recording, repeatability });
    expect(again).toEqual(first);
    const logged = controlRequests()
      .filter((r) => r.method === 'POST' && r.path.startsWith('/calling/recordings?'))
      .slice(-2);
    expect(logged.map((r) => [r.repeatabilityRequestId, r.repeatabilityFirstSent])).toEqual([
      ['0f8fad5b-d9cb-469f-a165-70867728950e', firstSent],
      ['0f8fad5b-d9cb-469f-a165-70867728950e', firstSent],
    ]);
  });

  it('starts by callConnectionId when that is all a CallConnected gave', async () => {
    const call = await emulator.startCall();
    const started = await client().start({ locator: { kind: 'callConnectionId', id: call.legs[0]! }, recording });
    expect(started.kind).toBe('started');
    expect([...emulator.recordings.values()].filter((r) => r.serverCallId === call.serverCallId)).toHaveLength(1);
  });

  it('refuses a callConnectionId locator in the 2021 dialect (it records by conversationId only)', async () => {
    const old = createControlClient(settings('conversations'));
    await expect(old.start({ locator: { kind: 'callConnectionId', id: 'conn' }, recording })).rejects.toBeInstanceOf(
      PermanentError,
    );
  });
});

describe('Entra mode', () => {
  it('sends the bearer token from the credential it is given, and the emulator refuses any other', async () => {
    const credentialFor = (token: string): TokenCredential => ({
      getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
    });
    const { serverCallId } = await emulator.startCall();
    const good = createControlClient(settings('calling', true), { credential: credentialFor('entra-token-for-tests') });
    await expect(good.start({ locator: byServerCallId(serverCallId), recording })).resolves.toMatchObject({
      kind: 'started',
    });
    expect(controlRequests().at(-1)?.authorized).toBe(true);
    const bad = createControlClient(settings('calling', true), { credential: credentialFor('some-other-token') });
    const other = await emulator.startCall();
    await expect(bad.start({ locator: byServerCallId(other.serverCallId), recording })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    expect(controlRequests().at(-1)?.authorized).toBe(false);
  });
});

describe('Retry-After', () => {
  it('is read as an HTTP-date too (RFC 9110 section 10.2.3), not only as seconds', async () => {
    const client = createControlClient(settings('calling'));
    const { serverCallId } = await emulator.startCall();
    const retryAt = new Date(Date.now() + 120_000);
    emulator.setControlFault({ status: 503, retryAfter: retryAt.toUTCString(), times: 1, operation: 'start' });
    const error = await client.start({ locator: byServerCallId(serverCallId), recording }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AcsUnavailable', status: 503 });
    // Whole seconds of the date, less the time the request took.
    expect((error as RetryableError).retryAfterMs).toBeGreaterThan(100_000);
    expect((error as RetryableError).retryAfterMs).toBeLessThanOrEqual(120_000);
    emulator.setControlFault({ status: 429, retryAfterSeconds: 3, times: 1, operation: 'start' });
    await expect(client.start({ locator: byServerCallId(serverCallId), recording })).rejects.toMatchObject({
      retryAfterMs: 3000,
    });
  });
});

describe('what ACS said, kept for the caller', () => {
  const client = () => createControlClient(settings('calling'));

  it("keeps ACS's own code of a 5xx (the published persistent 500 9999) and of a 404 to a start", async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({
      status: 500,
      body: corpusPayload(UNKNOWN_INTERNAL_ERROR),
      times: 1,
      operation: 'start',
    });
    const unavailable = await client()
      .start({ locator: byServerCallId(serverCallId), recording })
      .catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(AcsUnavailableError);
    expect(unavailable).toMatchObject({ status: 500, acsCode: '9999', code: 'AcsUnavailable' });
    emulator.setControlFault({ status: 404, code: '8522', message: 'Call not found.', times: 1, operation: 'start' });
    const missing = await client()
      .start({ locator: byServerCallId(serverCallId), recording })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AcsNotFoundError);
    expect(missing).toMatchObject({ code: 'AcsCallNotFound', acsCode: '8522' });
    expect((missing as Error).message).toMatch(/ACS does not know this call$/);
  });

  it('sends externalStorage as the 2025-06-15 REST spec names it when the recording goes to your own storage', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = await client().start({
      locator: byServerCallId(serverCallId),
      recording: { ...recording, externalStorageUrl: 'https://contoso.blob.core.windows.net/recordings' },
    });
    if (started.kind !== 'started') throw new Error(`expected a start, got ${started.kind}`);
    expect(emulator.recordings.get(started.recordingId)?.externalStorage).toEqual({
      recordingStorageKind: 'azureBlobStorage',
      recordingDestinationContainerUrl: 'https://contoso.blob.core.windows.net/recordings',
    });
  });
});
