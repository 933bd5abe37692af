import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { parseEventLine } from '../../../shared/telemetry';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { callbackEvent, startsFor } from '../../helpers/hostCalls';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * Who may send what, failing closed, through the local host: callbacks without a way to check their token are
 * refused unless ACS_CALLBACK_AUTH=none says otherwise; a valid token is good for the events it first came with only;
 * only Event Grid may subscribe with the CloudEvents handshake; a check that is off says so (SenderCheckOff).
 */

let emulator: AcsEmulator;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await emulator?.stop();
});

async function hostWith(settings: Record<string, string>): Promise<{ host: HostProcess; control: string }> {
  const control = `ctl-${randomUUID().slice(0, 8)}`;
  const host = await startHostProcess(REPO_ROOT, {
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    CONTROL_CONTAINER: control,
    ...settings,
  });
  hosts.push(host);
  return { host, control };
}

const post = (host: HostProcess, route: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${host.url}/api/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const senderChecksOff = (host: HostProcess) =>
  host.lines
    .map(parseEventLine)
    .filter((e) => e?.name === 'SenderCheckOff')
    .map((e) => e!.fields);

describe('without ACS_IMMUTABLE_RESOURCE_ID (a deployment not made by our Bicep)', () => {
  it('refuses every Call Automation callback with 401 and starts nothing, and says which checks are off', async () => {
    const { host } = await hostWith({});
    const { serverCallId } = await emulator.startCall();
    const connected = callbackEvent('CallConnected', {
      serverCallId,
      callConnectionId: randomUUID(),
    });
    for (const route of ['call-events', 'call-automation-events']) {
      const response = await post(host, route, [connected]);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'CallbackAuthNotConfigured' } });
    }
    expect(startsFor(emulator, serverCallId)).toBe(0);
    expect(senderChecksOff(host)).toEqual([
      expect.objectContaining({ check: 'topic', setting: 'ACS_RESOURCE_ID' }),
      expect.objectContaining({
        check: 'callbackToken',
        setting: 'ACS_IMMUTABLE_RESOURCE_ID',
        effect: 'Call Automation callbacks are refused (401)',
      }),
    ]);
  });

  it('takes callbacks unchecked only when ACS_CALLBACK_AUTH=none says so, and warns of it', async () => {
    const { host } = await hostWith({ ACS_CALLBACK_AUTH: 'none' });
    const { serverCallId } = await emulator.startCall();
    const connected = callbackEvent('CallConnected', {
      serverCallId,
      callConnectionId: randomUUID(),
    });
    expect((await post(host, 'call-automation-events', [connected])).status).toBe(200);
    expect(startsFor(emulator, serverCallId)).toBe(1);
    expect(senderChecksOff(host)).toContainEqual(
      expect.objectContaining({ effect: expect.stringContaining('without a token (ACS_CALLBACK_AUTH=none)') }),
    );
  });
});

describe('with every check on', () => {
  let host: HostProcess;
  let control: string;
  beforeAll(async () => {
    ({ host, control } = await hostWith({
      ACS_RESOURCE_ID: emulator.resourceId,
      ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
      ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
    }));
  });

  it('binds a token to the events it first came with: the same callback again passes, other events get 401', async () => {
    const token = { authorization: `Bearer ${emulator.callbackToken()}` };
    // A state callback for a recording this app never started: acknowledged and ignored, whatever it says.
    const { serverCallId: other } = await emulator.startCall();
    const first = callbackEvent('RecordingStateChanged', {
      recordingId: 'not-ours',
      state: 'inactive',
      recordingKind: 'azureCommunicationServices',
      serverCallId: other,
    });
    expect((await post(host, 'recording-state', [first], token)).status).toBe(200);
    expect((await post(host, 'recording-state', [first], token)).status).toBe(200); // a redelivery
    const { serverCallId } = await emulator.startCall();
    const forged = callbackEvent('CallConnected', {
      serverCallId,
      callConnectionId: randomUUID(),
    });
    const replay = await post(host, 'call-automation-events', [forged], token);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { code: 'TokenReplayed' } });
    expect(startsFor(emulator, serverCallId)).toBe(0);
    // The same events with a token of their own are obeyed.
    const own = { authorization: `Bearer ${emulator.callbackToken()}` };
    expect((await post(host, 'call-automation-events', [forged], own)).status).toBe(200);
    expect(startsFor(emulator, serverCallId)).toBe(1);
    // What is kept of a token: its SHA-256 as a name, never the token.
    const names: string[] = [];
    const container = BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(control);
    for await (const blob of container.listBlobsFlat({ prefix: 'callback-tokens/' })) names.push(blob.name);
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^callback-tokens\/[0-9a-f]{64}$/);
    expect(senderChecksOff(host)).toEqual([]);
  });

  it('answers the CloudEvents handshake for Event Grid only', async () => {
    const handshake = (origin: string) =>
      fetch(`${host.url}/api/call-events`, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': origin } });
    const eventGrid = await handshake('eventgrid.azure.net');
    expect(eventGrid.status).toBe(200);
    expect(eventGrid.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const stranger = await handshake('events.attacker.example');
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('webhook-allowed-origin')).toBeNull();
    expect(await stranger.json()).toMatchObject({ error: { code: 'OriginNotAllowed' } });
  });
});
