import { BlobServiceClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { createControlClient } from '../../../shared/acs/controlClient';
import { loadConfig } from '../../../shared/config';
import { CallStore } from '../../../shared/control/callStore';
import { RecordingControl } from '../../../shared/control/recordingControl';
import { ConflictError, NotFoundError } from '../../../shared/errors';

let emulator: AcsEmulator;
let control: RecordingControl;

beforeAll(async () => {
  emulator = await startEmulator();
  const config = loadConfig({
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: process.env.TEST_AZURITE_CONNECTION_STRING!,
  });
  const container = BlobServiceClient.fromConnectionString(
    process.env.TEST_AZURITE_CONNECTION_STRING!,
  ).getContainerClient('control-decisions-test');
  await container.createIfNotExists();
  control = new RecordingControl(new CallStore(container), createControlClient(config.acs), config);
});
afterAll(async () => {
  await emulator.stop();
});

const startsFor = (serverCallId: string): number =>
  [...emulator.recordings.values()]
    .filter((r) => r.serverCallId === serverCallId)
    .reduce((n, r) => n + r.startRequests, 0);

describe('RecordingControl', () => {
  it('five concurrent deliveries and a late duplicate give exactly one start at ACS', async () => {
    const { serverCallId } = await emulator.startCall({ legs: 3 });
    const views = await Promise.all(Array.from({ length: 5 }, () => control.startForCall(serverCallId, 'CallStarted')));
    await control.startForCall(serverCallId, 'CallStarted again');
    expect(startsFor(serverCallId)).toBe(1);
    expect(views.some((v) => v.state === 'active' && v.recordingId)).toBe(true);
  });

  it('stops on call end, twice is fine, and pause after stop is a conflict', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = await control.startForCall(serverCallId, 'test');
    await expect(control.pause(serverCallId)).resolves.toMatchObject({ state: 'paused' });
    await expect(control.resume(serverCallId)).resolves.toMatchObject({ state: 'active' });
    await expect(control.stopForCall(serverCallId, 'CallEnded')).resolves.toMatchObject({ state: 'stopped' });
    expect(emulator.recordings.get(started.recordingId!)?.state).toBe('stopped');
    await expect(control.stopForCall(serverCallId, 'CallEnded')).resolves.toMatchObject({ state: 'stopped' });
    await expect(control.pause(serverCallId)).rejects.toBeInstanceOf(ConflictError);
  });

  it('a state callback updates the store', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = await control.startForCall(serverCallId, 'test');
    await control.applyStateCallback(serverCallId, started.recordingId, 'inactive');
    await expect(control.get(serverCallId)).resolves.toMatchObject({ state: 'paused' });
  });

  it('an unknown call is not found', async () => {
    await expect(control.get(Buffer.from('https://x/unknown').toString('base64url'))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
