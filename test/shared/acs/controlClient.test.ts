import type { TokenCredential } from '@azure/core-auth';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import {
  createControlClient,
  parseAcsError,
  repeatabilityIdFor,
  type RecordingControlClient,
} from '../../../shared/acs/controlClient';
import { loadConfig, type AcsSettings, type RecordingOptions } from '../../../shared/config';
import { NotFoundError, RetryableError } from '../../../shared/errors';

const recording: RecordingOptions = {
  contentType: 'audio',
  channelType: 'mixed',
  formatType: 'mp3',
  pauseOnStart: false,
};

let emulator: AcsEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.stop();
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

describe('pure helpers', () => {
  it('derives a stable UUID-shaped Repeatability-Request-ID per call', () => {
    expect(repeatabilityIdFor('abc')).toBe(repeatabilityIdFor('abc'));
    expect(repeatabilityIdFor('abc')).not.toBe(repeatabilityIdFor('abd'));
    expect(repeatabilityIdFor('abc')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('parses both error shapes and tolerates HTML', () => {
    expect(parseAcsError('{"error":{"code":"8553","message":"m"}}')).toEqual({ code: '8553', message: 'm' });
    expect(parseAcsError('{"code":8553,"message":"m"}')).toEqual({ code: '8553', message: 'm' });
    expect(parseAcsError('<html>oops</html>')).toEqual({});
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
    const started = await client.start({ serverCallId, recording });
    expect(started.kind).toBe('started');
    if (started.kind !== 'started') return;
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('active');
    await client.pause(serverCallId, started.recordingId);
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('paused');
    expect(await client.state(serverCallId, started.recordingId)).toBe('inactive');
    await client.resume(serverCallId, started.recordingId);
    expect(await client.state(serverCallId, started.recordingId)).toBe('active');
    await client.stop(serverCallId, started.recordingId);
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('stopped');
    const log = emulator.requests.filter((r) => r.port === 'endpoint');
    expect(log.length).toBe(6);
    expect(log.every((r) => r.authorized)).toBe(true);
  });

  it('treats 8553 (a recording this client did not start) as already in progress', async () => {
    const { serverCallId } = await emulator.startCall();
    const other = createControlClient(settings(dialect === 'calling' ? 'conversations' : 'calling'));
    await other.start({ serverCallId, recording });
    await expect(client.start({ serverCallId, recording })).resolves.toEqual({
      kind: 'alreadyInProgress',
      recordingId: null,
    });
  });

  it('classifies 500 as retryable and 404 as not found', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 500, times: 1 });
    await expect(client.start({ serverCallId, recording })).rejects.toBeInstanceOf(RetryableError);
    await expect(client.state(serverCallId, 'no+such/recording=')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('repeatability', () => {
  it('a GA retry of the same start gets the same recording back', async () => {
    const client = createControlClient(settings('calling'));
    const { serverCallId } = await emulator.startCall();
    const first = await client.start({ serverCallId, recording });
    const again = await client.start({ serverCallId, recording });
    expect(again).toEqual(first);
  });
});

describe('Entra mode', () => {
  it('sends the bearer token from the credential it is given', async () => {
    const credential: TokenCredential = {
      getToken: () => Promise.resolve({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const client = createControlClient(settings('calling', true), { credential });
    const { serverCallId } = await emulator.startCall();
    emulator.clearRequests();
    const started = await client.start({ serverCallId, recording });
    expect(started.kind).toBe('started');
    expect(emulator.requests.at(-1)?.authorized).toBe(true);
  });
});
