import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startEmulator, type AcsEmulator } from '../../../../dev/emulator';
import {
  createControlClient,
  type RecordingControlClient,
  type StartRecordingInput,
} from '../../../../shared/acs/controlClient';
import { loadConfig, type Config } from '../../../../shared/config';
import { handleCallEvents } from '../../../../shared/control/callEventHandler';
import { CallStore } from '../../../../shared/control/callStore';
import { RecordingControl } from '../../../../shared/control/recordingControl';
import type { Trigger } from '../../../../shared/control/startDecisions';
import { ConflictError, NotFoundError, RetryableError } from '../../../../shared/errors';
import { parseEventEnvelopes } from '../../../../shared/events/envelope';
import { corpusEvent, corpusPayload } from '../../../helpers/corpus';
import { eventually } from '../../../helpers/eventually';
import { CapturedLog } from '../../../helpers/logs';
import { callbackEvent, unpaddedServerCallId } from '../../../helpers/hostCalls';

/** RecordingControl against the ACS emulator and Azurite: the I/O around the pure decisions. */

let emulator: AcsEmulator;
let config: Config;
let container: ContainerClient;
let store: CallStore;
let acs: RecordingControlClient;
let control: RecordingControl;

const api: Trigger = { source: 'api', name: 'API request' };
/** The product's three requests per delivery, with short pauses between them. */
const QUICK_RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 5_000 };
/** Microsoft's published answers (test/fixtures/acs-public). */
const UNKNOWN_INTERNAL_ERROR = corpusPayload(
  'sdk/java-callautomation.issue-32963.startRecording.500-9999.response.json',
);
const callEnded: Trigger = { source: 'event', name: 'CallEnded' };
const callStarted: Trigger = { source: 'event', name: 'CallStarted' };

beforeAll(async () => {
  emulator = await startEmulator();
  config = loadConfig({
    ACS_CONNECTION_STRING: emulator.connectionString,
    ARCHIVE_STORAGE_CONNECTION_STRING: process.env.TEST_AZURITE_CONNECTION_STRING!,
  });
  container = BlobServiceClient.fromConnectionString(process.env.TEST_AZURITE_CONNECTION_STRING!).getContainerClient(
    `control-${randomUUID().slice(0, 8)}`,
  );
  await container.createIfNotExists();
  store = new CallStore(container);
  acs = createControlClient(config.acs);
  control = new RecordingControl(store, acs, config, { pollMs: 20, startRetry: QUICK_RETRY });
});
afterAll(async () => {
  await emulator?.stop();
});

const startsAtAcs = (serverCallId: string): number =>
  [...emulator.recordings.values()]
    .filter((r) => r.serverCallId === serverCallId)
    .reduce((n, r) => n + r.startRequests, 0);
const recordingsOf = (serverCallId: string) =>
  [...emulator.recordings.values()].filter((r) => r.serverCallId === serverCallId);
const pausesOf = (recordingId: string): number =>
  emulator.requests.filter(
    (r) => r.method === 'POST' && r.path.startsWith(`/calling/recordings/${encodeURIComponent(recordingId)}:pause`),
  ).length;
const locatorOf = (id: string) => ({ kind: 'serverCallId' as const, id });

describe('RecordingControl', () => {
  it('five concurrent deliveries and a late duplicate give exactly one start at ACS', async () => {
    const { serverCallId } = await emulator.startCall({ legs: 3 });
    const log = new CapturedLog();
    const views = await Promise.all(
      Array.from({ length: 5 }, () => control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log)),
    );
    await control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log);
    expect(startsAtAcs(serverCallId)).toBe(1);
    expect(views.filter((v) => v.state === 'active' && v.recordingId !== null).length).toBeGreaterThanOrEqual(1);
    expect(log.text).toMatch(
      /RecordingStarted \{"serverCallId":".{24}…","recordingId":".{24}…","state":"active","trigger":"CallStarted"\}/,
    );
  });

  it('stores the call under the SHA-256 of its id, never under the id', async () => {
    const { serverCallId } = await emulator.startCall();
    await control.start({ locator: locatorOf(serverCallId), trigger: api }, new CapturedLog());
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'calls/' })) names.push(blob.name);
    expect(names.every((n) => /^calls\/[0-9a-f]{64}\.json$/.test(n))).toBe(true);
    expect(names.some((n) => n.includes(serverCallId))).toBe(false);
  });

  it('stops, twice is fine, pause after stop is 409, and the application can record the call again', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    const first = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    await expect(control.stop(serverCallId, callEnded, log)).resolves.toMatchObject({ state: 'stopped' });
    expect(emulator.recordings.get(first.recordingId!)?.state).toBe('stopped');
    await expect(control.stop(serverCallId, api, log)).resolves.toMatchObject({ state: 'stopped' });
    await expect(control.pause(serverCallId, log)).rejects.toBeInstanceOf(ConflictError);
    // An event never restarts a stopped recording (a late CallStarted); the application may.
    await expect(control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log)).resolves.toMatchObject(
      {
        state: 'stopped',
      },
    );
    const second = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    expect(second).toMatchObject({ state: 'active' });
    expect(second.recordingId).not.toBe(first.recordingId);
    expect(recordingsOf(serverCallId).map((r) => r.state)).toEqual(['stopped', 'active']);
    // Each logical start had its own Repeatability-Request-ID.
    const record = (await store.get(serverCallId))!.record;
    expect(record.start?.attempts).toBe(1);
  });

  it('sends every pause and resume to ACS, whatever the stored state says', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    const started = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    emulator.clearRequests();
    await control.pause(serverCallId, log);
    await control.pause(serverCallId, log);
    expect(pausesOf(started.recordingId!)).toBe(2);
    await expect(control.resume(serverCallId, log)).resolves.toMatchObject({ state: 'active' });
    expect(emulator.recordings.get(started.recordingId!)?.state).toBe('active');
  });

  it('a callback about another recording changes nothing; ours moves the state', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    const started = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    const ids = { serverCallId, callConnectionId: null };
    const forged = {
      type: 'stateChanged' as const,
      recordingId: 'Zm9yZ2Vk+/==',
      state: 'inactive',
      recordingKind: null,
    };
    await expect(control.applyCallback(ids, forged, log)).resolves.toMatchObject({ state: 'active' });
    const teams = { ...forged, recordingId: started.recordingId, recordingKind: 'teams' };
    await expect(control.applyCallback(ids, teams, log)).resolves.toMatchObject({ state: 'active' });
    const ours = { ...forged, recordingId: started.recordingId, recordingKind: 'azureCommunicationServices' };
    await expect(control.applyCallback(ids, ours, log)).resolves.toMatchObject({ state: 'paused' });
    expect((await control.get(serverCallId)).recordingId).toBe(started.recordingId);
  });

  it('a retry of a failed start reuses its Repeatability-Request-ID; ACS answers with the same recording', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    emulator.clearRequests();
    // Three 503s: every request one delivery may send (then the delivery gets 5xx and the event comes again).
    emulator.setControlFault({ status: 503, times: 3 });
    await expect(control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log)).rejects.toBeInstanceOf(
      RetryableError,
    );
    const failed = (await store.get(serverCallId))!.record;
    expect(failed).toMatchObject({ state: 'failed', start: { attempts: 1, uncertain: true } });
    // A random version-4 UUID (RFC 9562 section 5.4), stored before the first attempt.
    expect(failed.start!.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await expect(control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log)).resolves.toMatchObject(
      {
        state: 'active',
      },
    );
    const retried = (await store.get(serverCallId))!.record;
    const sent = emulator.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/calling/recordings?'));
    expect(sent.map((r) => [r.status, r.repeatabilityRequestId, r.repeatabilityFirstSent])).toEqual([
      [503, failed.start!.requestId, failed.start!.firstSent],
      [503, failed.start!.requestId, failed.start!.firstSent],
      [503, failed.start!.requestId, failed.start!.firstSent],
      [200, failed.start!.requestId, failed.start!.firstSent],
    ]);
    expect(retried.start).toMatchObject({
      requestId: failed.start!.requestId,
      firstSent: failed.start!.firstSent,
      attempts: 2,
    });
    expect(log.text).toMatch(
      /RecordingStartFailed \{"serverCallId":".{24}…","failureCode":"AcsUnavailable","retryable":true,/,
    );
  });

  it('treats ACS 401/403 on start as retryable and writes the AcsAccessDenied alert line', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    emulator.setControlFault({ status: 403, code: 'Forbidden', message: 'The principal lacks a role', times: 1 });
    const error = await control
      .start({ locator: locatorOf(serverCallId), trigger: callStarted }, log)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'AcsAccessDenied' });
    expect(log.errors()).toContainEqual(
      expect.stringMatching(
        /^AcsAccessDenied \{"operation":"start","status":403,"failureCode":"AcsAccessDenied","target":".{24}…"\}$/,
      ),
    );
    // Certain failure (ACS refused it): the next attempt is a fresh logical start.
    expect((await store.get(serverCallId))!.record.start).toMatchObject({ uncertain: false });
  });

  it('a stop during a slow start wins: the recording is stopped when the start returns', async () => {
    const { serverCallId } = await emulator.startCall();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let startSent!: () => void;
    const sent = new Promise<void>((resolve) => (startSent = resolve));
    // ACS answers slowly: the start request is held until the stop has been asked for.
    const slowAcs: RecordingControlClient = {
      ...acs,
      dialect: acs.dialect,
      start: async (input: StartRecordingInput) => {
        startSent();
        await gate;
        return acs.start(input);
      },
    };
    // The stop's reads of the call record: each one after the first is a poll of the start in flight.
    let reads = 0;
    const watchedStore = Object.assign(Object.create(store) as CallStore, {
      get: (callKey: string) => {
        reads++;
        return store.get(callKey);
      },
    });
    const slow = new RecordingControl(watchedStore, slowAcs, config, { pollMs: 20 });
    const log = new CapturedLog();
    const starting = slow.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log);
    await sent;
    const readsBeforeStop = reads;
    let stopSettled = false;
    const stopping = slow.stop(serverCallId, callEnded, log).finally(() => (stopSettled = true));
    // The stop waits for the start to resolve: nobody is told "stopped" while ACS may be recording. Probed, not
    // timed: once the stop has read the record three times it has twice found the start in flight and waited.
    await eventually('the stop polling the start in flight', () => reads >= readsBeforeStop + 3);
    expect(stopSettled).toBe(false);
    release();
    await expect(stopping).resolves.toMatchObject({ state: 'stopped' });
    expect(recordingsOf(serverCallId).map((r) => r.state)).toEqual(['stopped']);
    await expect(starting).resolves.toMatchObject({ state: 'stopped' });
  });

  it('a stop that re-sends an uncertain start answers "stopped" when ACS refuses that start for good', async () => {
    const log = new CapturedLog();
    const uncertainStart = async (): Promise<string> => {
      const { serverCallId } = await emulator.startCall();
      emulator.setControlFault({ status: 503, times: 3, operation: 'start' });
      await expect(
        control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log),
      ).rejects.toBeInstanceOf(RetryableError);
      expect((await store.get(serverCallId))!.record).toMatchObject({ state: 'failed', start: { uncertain: true } });
      // The stop asks ACS again (same repeatability headers) to learn what to stop; ACS refuses it for good.
      emulator.setControlFault({ status: 400, code: 'BadRequest', times: 1, operation: 'start' });
      return serverCallId;
    };
    // The API: nothing records, so the answer is "stopped", not 502.
    const byApi = await uncertainStart();
    await expect(control.stop(byApi, api, log)).resolves.toMatchObject({ state: 'stopped', recordingId: null });
    expect(recordingsOf(byApi)).toEqual([]);
    // A CallEnded: handled (the delivery succeeds), never reported as "failed for good".
    const byEvent = await uncertainStart();
    const eventLog = new CapturedLog();
    const ended = parseEventEnvelopes(
      corpusEvent('learn/event-grid-voice-video.2022.CallEnded.json', { '{serverCallId}': byEvent }),
    );
    await expect(handleCallEvents(ended, control, eventLog)).resolves.toBeNull();
    expect(eventLog.text).toMatch(/recording stopped$/m);
    expect(eventLog.text).not.toMatch(/failed for good/);
    expect((await store.get(byEvent))!.record.state).toBe('stopped');
  });

  it('starts a call known only by its callConnectionId, and a CallDisconnected never stops it', async () => {
    const call = await emulator.startCall();
    const callConnectionId = call.legs[0]!;
    const log = new CapturedLog();
    const view = await control.start(
      { locator: { kind: 'callConnectionId', id: callConnectionId }, callConnectionId, trigger: callStarted },
      log,
    );
    expect(view).toMatchObject({ serverCallId: callConnectionId, state: 'active' });
    expect(recordingsOf(call.serverCallId).map((r) => r.state)).toEqual(['active']);
    const before = (await store.get(callConnectionId))!;
    const disconnected = callbackEvent('CallDisconnected', { callConnectionId, correlationId: call.callId });
    await expect(handleCallEvents(parseEventEnvelopes(disconnected), control, log)).resolves.toBeNull();
    // Nothing is written for it (no blob read or write is spent), and nothing is stopped.
    expect((await store.get(callConnectionId))!.etag).toBe(before.etag);
    expect(await control.get(callConnectionId)).toMatchObject({ state: 'active' });
    expect(recordingsOf(call.serverCallId).map((r) => r.state)).toEqual(['active']);
  });

  it('a recording another client started (8553) is active without an id: the API cannot stop it, a call end can', async () => {
    const { serverCallId } = await emulator.startCall();
    const other = createControlClient(
      loadConfig({
        ACS_RECORDING_API: 'conversations',
        ACS_CONNECTION_STRING: emulator.connectionString,
        ARCHIVE_STORAGE_CONNECTION_STRING: process.env.TEST_AZURITE_CONNECTION_STRING!,
      }).acs,
    );
    await other.start({ locator: locatorOf(serverCallId), recording: config.recording });
    const log = new CapturedLog();
    await expect(control.start({ locator: locatorOf(serverCallId), trigger: api }, log)).resolves.toMatchObject({
      state: 'active',
      recordingId: null,
    });
    await expect(control.stop(serverCallId, api, log)).rejects.toBeInstanceOf(ConflictError);
    await expect(control.stop(serverCallId, callEnded, log)).resolves.toMatchObject({ state: 'stopped' });
  });

  it('reads a call record written before the upgrade (calls/{serverCallId}.json) and stops its recording', async () => {
    // base64url: the only ids the first version accepted, and so could name a blob after
    const { serverCallId } = await emulator.startCall({ serverCallId: unpaddedServerCallId() });
    const started = await acs.start({ locator: locatorOf(serverCallId), recording: config.recording });
    const legacy = {
      serverCallId,
      recordingId: started.recordingId,
      state: 'active',
      dialect: 'calling',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      reason: 'CallStarted event',
      history: [{ state: 'active', at: '2026-01-01T00:00:00.000Z', reason: 'ACS: started' }],
    };
    const body = JSON.stringify(legacy);
    await container.getBlockBlobClient(`calls/${serverCallId}.json`).upload(body, Buffer.byteLength(body));
    const log = new CapturedLog();
    await expect(control.stop(serverCallId, callEnded, log)).resolves.toMatchObject({ serverCallId, state: 'stopped' });
    expect(emulator.recordings.get(started.recordingId!)?.state).toBe('stopped');
  });

  it('an unknown call is not found for the API and nothing to do for an event', async () => {
    const unknown = `unknown-${randomUUID()}`;
    await expect(control.get(unknown)).rejects.toBeInstanceOf(NotFoundError);
    await expect(control.stop(unknown, api, new CapturedLog())).rejects.toBeInstanceOf(NotFoundError);
    await expect(control.stop(unknown, callEnded, new CapturedLog())).resolves.toBeUndefined();
  });
});

describe('start failures that are not final, and one that is', () => {
  const startsOf = (serverCallId: string) =>
    emulator.requests.filter(
      (r) => r.method === 'POST' && r.path.startsWith('/calling/recordings?') && r.serverCallId === serverCallId,
    );

  it('sends a start again while ACS answers its persistent 500 9999, at most 3 times, then records the code', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 500, body: UNKNOWN_INTERNAL_ERROR, times: 3, operation: 'start' });
    const log = new CapturedLog();
    const error = await control
      .start({ locator: locatorOf(serverCallId), trigger: callStarted, eventTime: new Date() }, log)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'AcsUnavailable' });
    const record = (await store.get(serverCallId))!.record;
    expect(record).toMatchObject({
      state: 'failed',
      reason: 'start failed: AcsUnavailable (ACS 500 code 9999, 3 attempts)',
      start: { uncertain: true },
    });
    // One logical start: the same repeatability headers on every request.
    expect(startsOf(serverCallId).map((r) => [r.status, r.repeatabilityRequestId])).toEqual([
      [500, record.start!.requestId],
      [500, record.start!.requestId],
      [500, record.start!.requestId],
    ]);
    expect(log.lines.filter((l) => l.level === 'warn' && l.text.includes('ACS 500 code 9999; attempt'))).toHaveLength(
      2,
    );
    // The next delivery: the same logical start again, and ACS has recovered.
    await expect(control.start({ locator: locatorOf(serverCallId), trigger: callStarted }, log)).resolves.toMatchObject(
      { state: 'active' },
    );
    expect(new Set(startsOf(serverCallId).map((r) => r.repeatabilityRequestId))).toEqual(
      new Set([record.start!.requestId]),
    );
  });

  it('recovers within one delivery when ACS does before the third request', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setControlFault({ status: 500, body: UNKNOWN_INTERNAL_ERROR, times: 2, operation: 'start' });
    await expect(
      control.start({ locator: locatorOf(serverCallId), trigger: api }, new CapturedLog()),
    ).resolves.toMatchObject({ state: 'active' });
    expect(startsOf(serverCallId).map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('does not wait within a delivery for a Retry-After (an HTTP-date) longer than it can: one request, 5xx', async () => {
    const { serverCallId } = await emulator.startCall();
    const retryAt = new Date(Date.now() + 120_000).toUTCString();
    emulator.setControlFault({ status: 503, retryAfter: retryAt, times: 1, operation: 'start' });
    const error = await control
      .start({ locator: locatorOf(serverCallId), trigger: api }, new CapturedLog())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AcsUnavailable' });
    expect((error as RetryableError).retryAfterMs).toBeGreaterThan(100_000);
    expect(startsOf(serverCallId)).toHaveLength(1);
  });

  it('takes a 404 to a start for a call event under 5 minutes old as "not known yet"; older, or from the API, as gone', async () => {
    const log = new CapturedLog();
    const notFound = { status: 404, code: '8522', message: 'Call not found.', times: 1, operation: 'start' } as const;
    const young = await emulator.startCall();
    emulator.setControlFault(notFound);
    const early = await control
      .start({ locator: locatorOf(young.serverCallId), trigger: callStarted, eventTime: new Date() }, log)
      .catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RetryableError);
    expect(early).toMatchObject({ code: 'AcsCallNotKnownYet' });
    // ACS started nothing: the next delivery is a new logical start, and ACS knows the call by then.
    const first = (await store.get(young.serverCallId))!.record;
    expect(first).toMatchObject({ state: 'failed', start: { uncertain: false } });
    await expect(
      control.start({ locator: locatorOf(young.serverCallId), trigger: callStarted, eventTime: new Date() }, log),
    ).resolves.toMatchObject({ state: 'active' });
    expect((await store.get(young.serverCallId))!.record.start!.requestId).not.toBe(first.start!.requestId);

    const old = await emulator.startCall();
    emulator.setControlFault(notFound);
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
    const late = await control
      .start({ locator: locatorOf(old.serverCallId), trigger: callStarted, eventTime: sixMinutesAgo }, log)
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(NotFoundError);
    expect(late).toMatchObject({ code: 'AcsCallNotFound' });

    const byApi = await emulator.startCall();
    emulator.setControlFault(notFound);
    await expect(control.start({ locator: locatorOf(byApi.serverCallId), trigger: api }, log)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('a failed start is never reported as recording', () => {
  it('a StartRecordingFailed without recordingId fails the call found by its id; the next start is a new one', async () => {
    const { serverCallId } = await emulator.startCall();
    emulator.setStartResponse({ status: 202, state: 'inactive', then: 'stay', times: 1 });
    const log = new CapturedLog();
    const accepted = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    expect(accepted.state).toBe('starting');
    const first = (await store.get(serverCallId))!.record.start!.requestId;
    const failure = { type: 'startFailed' as const, recordingId: null, state: null, recordingKind: null };
    await expect(control.applyCallback({ serverCallId, callConnectionId: null }, failure, log)).resolves.toMatchObject({
      state: 'failed',
    });
    const again = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    expect(again.recordingId).not.toBe(accepted.recordingId);
    expect((await store.get(serverCallId))!.record.start!.requestId).not.toBe(first);
  });
});

describe('ACS as the truth about state', () => {
  it('a read asks ACS: a recording ACS ended with its call is stopped, and one it cannot ask about is as stored', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    const started = await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    await control.pause(serverCallId, log);
    // ACS cannot answer: the stored state is the answer.
    emulator.setControlFault({ status: 503, times: 1, operation: 'state' });
    await expect(control.get(serverCallId, log)).resolves.toMatchObject({ state: 'paused' });
    expect(log.text).toMatch(/could not ask ACS about the recording of call .{24}…, answering what is stored/);
    // The call ends and no CallEnded reaches the app: ACS answers 404, so the recording is stopped.
    await emulator.endCall(serverCallId);
    await expect(control.get(serverCallId, log)).resolves.toMatchObject({
      recordingId: started.recordingId,
      state: 'stopped',
    });
    expect((await store.get(serverCallId))!.record.reason).toBe(
      'ACS no longer has the recording (404): it ended with its call',
    );
    // Stopped is final here: ACS is not asked again.
    emulator.clearRequests();
    await control.get(serverCallId, log);
    expect(emulator.requests.filter((r) => r.method === 'GET' && r.port === 'endpoint')).toEqual([]);
  });

  it('a pause or resume that ACS answers 404 leaves the recording stopped (and is refused: 409)', async () => {
    const { serverCallId } = await emulator.startCall();
    const log = new CapturedLog();
    await control.start({ locator: locatorOf(serverCallId), trigger: api }, log);
    await emulator.endCall(serverCallId);
    await expect(control.resume(serverCallId, log)).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get(serverCallId))!.record.state).toBe('stopped');
  });
});

describe('bring your own storage', () => {
  it('asks ACS to record into the container RECORDING_EXTERNAL_STORAGE_URL names', async () => {
    // The container URL of the 2025-06-15 StartRecording REST example.
    const byos = loadConfig({
      ACS_CONNECTION_STRING: emulator.connectionString,
      ARCHIVE_STORAGE_CONNECTION_STRING: process.env.TEST_AZURITE_CONNECTION_STRING!,
      RECORDING_EXTERNAL_STORAGE_URL: 'https://contoso.blob.core.windows.net/recordings',
    });
    const own = new RecordingControl(store, createControlClient(byos.acs), byos, { pollMs: 20 });
    const { serverCallId } = await emulator.startCall();
    const view = await own.start({ locator: locatorOf(serverCallId), trigger: api }, new CapturedLog());
    expect(emulator.recordings.get(view.recordingId!)?.externalStorage).toEqual({
      recordingStorageKind: 'azureBlobStorage',
      recordingDestinationContainerUrl: 'https://contoso.blob.core.windows.net/recordings',
    });
  });
});
