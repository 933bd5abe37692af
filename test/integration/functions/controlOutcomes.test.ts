import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator } from '../../../dev/emulator';
import { CallStore } from '../../../shared/control/callStore';
import { azuriteConnectionString } from '../../helpers/archiveHarness';
import { corpusPayload } from '../../helpers/corpus';
import { eventually } from '../../helpers/eventually';
import { startHostProcess, type HostProcess } from '../../helpers/hostProcess';
import { recordingPath, recordingsOf, systemEvent } from '../../helpers/hostCalls';
import { REPO_ROOT } from '../../helpers/paths';

/**
 * What ACS's answers do to a call, through the local host, against the ACS emulator (its own signed callbacks, with
 * the sender checks on) and Azurite: a start ACS later reports failed, start failures that are not final (a 404 for a
 * young call event, the persistent 500 9999) and the one that is, Retry-After as an HTTP-date, ACS as the truth about a
 * recording's state, and starts into the customer's own storage (RECORDING_EXTERNAL_STORAGE_URL is set for this host:
 * every start here asks for it).
 */

const CONTROL_CONTAINER = `ctl-${randomUUID().slice(0, 8)}`;
/** The container of the 2025-06-15 StartRecording REST example (test/fixtures/acs-public/callautomation-rest). */
const BYOS_CONTAINER = 'https://contoso.blob.core.windows.net/recordings';
/** The persistent 500 a start got in Azure/azure-sdk-for-java issue 32963, verbatim. */
const UNKNOWN_INTERNAL_ERROR = corpusPayload(
  'sdk/java-callautomation.issue-32963.startRecording.500-9999.response.json',
);

let emulator: AcsEmulator;
let host: HostProcess;
let store: CallStore;

beforeAll(async () => {
  emulator = await startEmulator();
  host = await startHostProcess(REPO_ROOT, (port) => ({
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: azuriteConnectionString(),
    CONTROL_CONTAINER,
    RECORDING_STATE_CALLBACK_URL: `http://127.0.0.1:${port}/api/recording-state`,
    RECORDING_EXTERNAL_STORAGE_URL: BYOS_CONTAINER,
    ACS_RESOURCE_ID: emulator.resourceId,
    ACS_IMMUTABLE_RESOURCE_ID: emulator.immutableResourceId,
    ACS_CALLBACK_OPENID_CONFIG_URL: emulator.openIdConfigUrl,
  }));
  store = new CallStore(
    BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(CONTROL_CONTAINER),
  );
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});
afterEach(() => {
  emulator.clearControlFaults();
  emulator.setStartResponse();
});

const api = (route: string, method = 'POST', body?: unknown) =>
  fetch(`${host.url}/api/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async (response: Response) => (await response.json()) as Record<string, any>;
const viewOf = async (serverCallId: string) => json(await api(recordingPath(serverCallId), 'GET'));
/** The start requests that reached ACS for this call, in order. */
const startsAtAcs = (serverCallId: string) =>
  emulator.requests.filter(
    (r) => r.method === 'POST' && r.path.startsWith('/calling/recordings?') && r.serverCallId === serverCallId,
  );
const callStarted = (serverCallId: string, eventTime = new Date()) => ({
  ...systemEvent('CallStarted', serverCallId, emulator.resourceId),
  eventTime: eventTime.toISOString(),
});

describe('a failed start is never reported as recording', () => {
  it('ACS accepts a start (202), then sends StartRecordingFailed without recordingId: the call is failed', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setStartResponse({ status: 202, state: 'inactive', then: 'failed', failureWithoutRecordingId: true });
    const accepted = await json(await api('recordings', 'POST', { serverCallId }));
    // The callback may come before or after ACS's answer reaches the app: not yet recording either way.
    expect(accepted).toMatchObject({ serverCallId, recordingId: expect.any(String) });
    expect(['starting', 'failed']).toContain(accepted.state);
    await eventually('the StartRecordingFailed callback', async () => (await viewOf(serverCallId)).state === 'failed');
    expect(emulator.deliveries.filter((d) => d.eventType === 'Microsoft.Communication.StartRecordingFailed')).toEqual([
      expect.objectContaining({ delivered: true, statuses: [200] }),
    ]);
    // A later start of the call is a new logical start: a new Repeatability-Request-ID, a new recording.
    emulator.setStartResponse();
    const again = await json(await api('recordings', 'POST', { serverCallId }));
    expect(again).toMatchObject({ state: 'active' });
    expect(again.recordingId).not.toBe(accepted.recordingId);
    const ids = startsAtAcs(serverCallId).map((r) => r.repeatabilityRequestId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe('start failures that are not final, and one that is', () => {
  const notFound = { status: 404, code: '8522', message: 'Call not found.', operation: 'start' } as const;

  it('a 404 to the start for a CallStarted under 5 minutes old gets 503, and the redelivery records', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ ...notFound, times: 1 });
    const event = callStarted(serverCallId);
    const first = await api('call-events', 'POST', [event]);
    expect(first.status).toBe(503);
    expect(await json(first)).toEqual({
      error: { code: 'AcsCallNotKnownYet', message: 'Temporarily unavailable; retry later' },
    });
    // Event Grid brings the same event again.
    expect((await api('call-events', 'POST', [event])).status).toBe(200);
    expect(recordingsOf(emulator, serverCallId).map((r) => r.state)).toEqual(['active']);
    expect(await viewOf(serverCallId)).toMatchObject({ state: 'active' });
  });

  it('a 404 to the start for a call event older than 5 minutes is final: 200, and the call record says failed', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ ...notFound, times: 1 });
    const response = await api('call-events', 'POST', [callStarted(serverCallId, new Date(Date.now() - 6 * 60_000))]);
    expect(response.status).toBe(200);
    expect(startsAtAcs(serverCallId)).toHaveLength(1);
    expect((await store.get(serverCallId))!.record).toMatchObject({
      state: 'failed',
      reason: 'start failed: AcsCallNotFound (ACS 404 code 8522)',
    });
  });

  it('the persistent 500 9999: three requests in one delivery, then 503, and the call record keeps the code', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 500, body: UNKNOWN_INTERNAL_ERROR, times: 3, operation: 'start' });
    const event = callStarted(serverCallId);
    const delivery = await api('call-events', 'POST', [event]);
    expect(delivery.status).toBe(503);
    const record = (await store.get(serverCallId))!.record;
    expect(record).toMatchObject({
      state: 'failed',
      reason: 'start failed: AcsUnavailable (ACS 500 code 9999, 3 attempts)',
    });
    expect(await viewOf(serverCallId)).toMatchObject({ state: 'failed', recordingId: null });
    expect(startsAtAcs(serverCallId).map((r) => [r.status, r.repeatabilityRequestId])).toEqual([
      [500, record.start!.requestId],
      [500, record.start!.requestId],
      [500, record.start!.requestId],
    ]);
    // The redelivery retries the same logical start (ACS may have started it), and ACS has recovered.
    expect((await api('call-events', 'POST', [event])).status).toBe(200);
    expect(await viewOf(serverCallId)).toMatchObject({ state: 'active' });
    expect(
      startsAtAcs(serverCallId)
        .map((r) => [r.status, r.repeatabilityRequestId])
        .at(-1),
    ).toEqual([200, record.start!.requestId]);
  });

  it('a 500 9999 that clears before the third request is recorded within the same delivery', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 500, body: UNKNOWN_INTERNAL_ERROR, times: 2, operation: 'start' });
    expect((await api('call-events', 'POST', [callStarted(serverCallId)])).status).toBe(200);
    expect(startsAtAcs(serverCallId).map((r) => r.status)).toEqual([500, 500, 200]);
    expect(await viewOf(serverCallId)).toMatchObject({ state: 'active' });
  });
});

describe('Retry-After as an HTTP-date (RFC 9110)', () => {
  it('a near one is waited for within the request; a far one is handed back to the caller', async () => {
    const near = await emulator.startCall();
    const soon = new Date(Date.now() + 2_000).toUTCString();
    emulator.setControlFault({ status: 503, retryAfter: soon, times: 1, operation: 'start' });
    const waited = await api('recordings', 'POST', { serverCallId: near.serverCallId });
    expect(waited.status).toBe(200);
    expect(startsAtAcs(near.serverCallId).map((r) => r.status)).toEqual([503, 200]);

    const far = await emulator.startCall();
    const later = new Date(Date.now() + 120_000).toUTCString();
    emulator.setControlFault({ status: 503, retryAfter: later, times: 1, operation: 'start' });
    const handedBack = await api('recordings', 'POST', { serverCallId: far.serverCallId });
    expect(handedBack.status).toBe(503);
    expect(Number(handedBack.headers.get('retry-after'))).toBeGreaterThan(100);
    expect(Number(handedBack.headers.get('retry-after'))).toBeLessThanOrEqual(120);
    expect(startsAtAcs(far.serverCallId)).toHaveLength(1);
  });
});

describe('ACS as the truth about state', () => {
  it('a paused recording of a call that ended without a CallEnded reads as stopped', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = await json(await api('recordings', 'POST', { serverCallId }));
    expect(await json(await api(recordingPath(serverCallId, 'pause')))).toMatchObject({ state: 'paused' });
    // The call ends; this emulator sends the app no call events (only its recording state callbacks).
    await emulator.endCall(serverCallId);
    await emulator.idle();
    expect(emulator.recordings.get(started.recordingId)?.state).toBe('stopped');
    expect(await viewOf(serverCallId)).toMatchObject({ recordingId: started.recordingId, state: 'stopped' });
    expect((await store.get(serverCallId))!.record.state).toBe('stopped');
  });

  it('a read answers what ACS says, and the stored state when ACS cannot answer', async () => {
    const { serverCallId } = await emulator.startCall();
    const started = await json(await api('recordings', 'POST', { serverCallId }));
    await emulator.idle();
    // Another client of the same resource pauses the recording: ACS says inactive, which after a pause is paused.
    const { createControlClient } = await import('../../../shared/acs/controlClient');
    const { loadConfig } = await import('../../../shared/config');
    const other = createControlClient(
      loadConfig({
        ACS_CONNECTION_STRING: emulator.connectionString,
        ARCHIVE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      }).acs,
    );
    emulator.setCallbackAuth('none'); // its callback (unsigned) is refused: only the read can tell
    try {
      await other.pause(serverCallId, started.recordingId);
      await emulator.idle();
      expect((await store.get(serverCallId))!.record.state).toBe('active');
      expect(await viewOf(serverCallId)).toMatchObject({ state: 'paused' });
      emulator.setControlFault({ status: 503, times: 1, operation: 'state' });
      expect(await viewOf(serverCallId)).toMatchObject({ state: 'paused' });
      await other.resume(serverCallId, started.recordingId);
      emulator.setControlFault({ status: 503, times: 1, operation: 'state' });
      // ACS cannot answer: what is stored is the answer (not an error).
      const unreachable = await api(recordingPath(serverCallId), 'GET');
      expect(unreachable.status).toBe(200);
      expect(await json(unreachable)).toMatchObject({ state: 'paused' });
      expect(await viewOf(serverCallId)).toMatchObject({ state: 'active' });
    } finally {
      await emulator.idle(); // the refused callbacks have run out of retries before tokens are signed again
      emulator.setCallbackAuth('valid');
    }
  });

  it('a pause that ACS answers 404 (the call ended) is refused with 409 and leaves the recording stopped', async () => {
    const { serverCallId } = await emulator.startCall();
    await api('recordings', 'POST', { serverCallId });
    await emulator.endCall(serverCallId);
    await emulator.idle();
    const pause = await api(recordingPath(serverCallId, 'pause'));
    expect(pause.status).toBe(409);
    expect((await store.get(serverCallId))!.record.state).toBe('stopped');
    emulator.clearRequests();
    expect(await viewOf(serverCallId)).toMatchObject({ state: 'stopped' });
    // Stopped here is final: ACS is not asked again.
    expect(emulator.requests.filter((r) => r.port === 'endpoint' && r.method === 'GET')).toEqual([]);
  });
});

describe('bring your own storage', () => {
  it('a start asks ACS to record into RECORDING_EXTERNAL_STORAGE_URL, as the 2025-06-15 REST spec names it', async () => {
    const { serverCallId } = await emulator.startCall();
    const view = await json(await api('recordings', 'POST', { serverCallId }));
    expect(emulator.recordings.get(view.recordingId)?.externalStorage).toEqual({
      recordingStorageKind: 'azureBlobStorage',
      recordingDestinationContainerUrl: BYOS_CONTAINER,
    });
  });
});
