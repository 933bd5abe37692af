import type { StartRecordingResult } from '../../../../shared/acs/controlClient';
import type { CallRecord } from '../../../../shared/control/callRecord';
import {
  claimFor,
  recordAfterStart,
  recordAfterStartFailure,
  type StartRequest,
} from '../../../../shared/control/startDecisions';
import {
  at,
  EXAMPLE_RECORDING_ID,
  inFlightRecord,
  PADDED_SERVER_CALL_ID,
  recordWith,
  timingAt,
} from '../../../helpers/controlFixtures';

const NEW_ID = '9b2e4c1d-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
const newId = () => NEW_ID;
const fromEvent = (name = 'CallStarted'): StartRequest => ({
  locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID },
  callConnectionId: null,
  trigger: { source: 'event', name },
  dialect: 'calling',
});
const fromApi: StartRequest = { ...fromEvent(), trigger: { source: 'api', name: 'API request' } };

function claimed(claim: ReturnType<typeof claimFor>): CallRecord {
  if (claim.kind !== 'claimed') throw new Error(`expected a claim, got: ${claim.reason}`);
  return claim.record;
}

describe('claimFor', () => {
  it('creates the record of an unknown call with a new logical start, stored before the first attempt', () => {
    const claim = claimFor(undefined, fromEvent(), timingAt(0), newId);
    expect(claim).toMatchObject({ kind: 'claimed', create: true });
    expect(claimed(claim)).toMatchObject({
      locator: { kind: 'serverCallId', id: PADDED_SERVER_CALL_ID },
      state: 'starting',
      recordingId: null,
      start: {
        requestId: NEW_ID,
        firstSent: 'Sun, 01 Mar 2026 10:00:00 GMT',
        attempts: 1,
        inFlight: true,
        uncertain: false,
      },
    });
  });

  it('remembers a call started by its callConnectionId under that id', () => {
    const request: StartRequest = {
      ...fromEvent('CallConnected'),
      locator: { kind: 'callConnectionId', id: '421f0b00-1f4e-4f2a-a8b1-8a6c6a3c7d21' },
      callConnectionId: '421f0b00-1f4e-4f2a-a8b1-8a6c6a3c7d21',
    };
    expect(claimed(claimFor(undefined, request, timingAt(0), newId))).toMatchObject({
      locator: { kind: 'callConnectionId', id: '421f0b00-1f4e-4f2a-a8b1-8a6c6a3c7d21' },
      callConnectionId: '421f0b00-1f4e-4f2a-a8b1-8a6c6a3c7d21',
    });
  });

  it.each([['active'], ['paused']] as const)('sends nothing for a call already %s', (state) => {
    expect(claimFor(recordWith({ state }), fromEvent(), timingAt(5), newId)).toEqual({
      kind: 'unchanged',
      reason: `already ${state}`,
    });
  });

  it('sends nothing while another start is in flight, and takes over a claim older than a minute', () => {
    expect(claimFor(inFlightRecord(), fromEvent(), timingAt(30), newId).kind).toBe('unchanged');
    const takeover = claimed(claimFor(inFlightRecord(), fromEvent(), timingAt(61), newId));
    // The same logical start: the same Repeatability-Request-ID and First-Sent, one more attempt.
    expect(takeover.start).toMatchObject({
      requestId: '3a1f0a52-7d2c-4b8e-9f41-0c6f0f2d9b11',
      firstSent: 'Sun, 01 Mar 2026 10:00:00 GMT',
      attempts: 2,
      inFlight: true,
      claimedAt: '2026-03-01T10:01:01.000Z',
    });
  });

  it('retries an uncertain failed start with the same repeatability headers within four minutes', () => {
    const failed = recordWith({
      state: 'failed',
      recordingId: null,
      start: { ...recordWith().start!, uncertain: true },
    });
    expect(claimed(claimFor(failed, fromEvent(), timingAt(200), newId)).start).toMatchObject({
      requestId: '3a1f0a52-7d2c-4b8e-9f41-0c6f0f2d9b11',
      firstSent: 'Sun, 01 Mar 2026 10:00:00 GMT',
      attempts: 2,
    });
    // After ACS's 5-minute repeatability window (4 with our margin) a retry would be refused (412): a new start.
    expect(claimed(claimFor(failed, fromEvent(), timingAt(241), newId)).start).toMatchObject({
      requestId: NEW_ID,
      firstSent: 'Sun, 01 Mar 2026 10:04:01 GMT',
      attempts: 1,
    });
  });

  it('starts a failed recording afresh when the failure was certain (nothing was recording)', () => {
    const failed = recordWith({ state: 'failed' });
    expect(claimed(claimFor(failed, fromEvent(), timingAt(10), newId))).toMatchObject({
      state: 'starting',
      recordingId: null,
      start: { requestId: NEW_ID, attempts: 1 },
    });
  });

  it('records a stopped call again only when the application asks, with a new logical start', () => {
    const stopped = recordWith({ state: 'stopped' });
    expect(claimFor(stopped, fromEvent(), timingAt(10), newId)).toEqual({
      kind: 'unchanged',
      reason: 'stopped; events never restart it',
    });
    expect(claimed(claimFor(stopped, fromApi, timingAt(10), newId))).toMatchObject({
      state: 'starting',
      recordingId: null,
      start: { requestId: NEW_ID, firstSent: 'Sun, 01 Mar 2026 10:00:10 GMT', attempts: 1, inFlight: true },
    });
  });

  it('sends nothing while a stop waits for the start to resolve', () => {
    const waiting = inFlightRecord({ stopRequested: { at: at(1).toISOString(), trigger: 'CallEnded' } });
    expect(claimFor(waiting, fromApi, timingAt(90), newId).kind).toBe('unchanged');
  });
});

describe('recordAfterStart', () => {
  const started = (state: 'active' | 'inactive' | 'unknown'): StartRecordingResult => ({
    kind: 'started',
    recordingId: EXAMPLE_RECORDING_ID,
    state,
    recordingKind: 'azureCommunicationServices',
  });

  it('reports the state ACS returned: active, or inactive (not recording yet) unless pauseOnStart', () => {
    expect(recordAfterStart(inFlightRecord(), started('active'), false, at(1)).record).toMatchObject({
      state: 'active',
      recordingId: EXAMPLE_RECORDING_ID,
      start: { inFlight: false },
    });
    expect(recordAfterStart(inFlightRecord(), started('inactive'), false, at(1)).record?.state).toBe('starting');
    expect(recordAfterStart(inFlightRecord(), started('inactive'), true, at(1)).record?.state).toBe('paused');
  });

  it('takes 8553 (a recording already in progress) as active without an id', () => {
    const outcome = recordAfterStart(inFlightRecord(), { kind: 'alreadyInProgress', recordingId: null }, false, at(1));
    expect(outcome).toMatchObject({ record: { state: 'active', recordingId: null }, stopRecordingId: null });
  });

  it('a stop that arrived during the start wins: the new recording is to be stopped', () => {
    const waiting = inFlightRecord({ stopRequested: { at: at(1).toISOString(), trigger: 'CallEnded' } });
    const outcome = recordAfterStart(waiting, started('active'), false, at(2));
    expect(outcome.stopRecordingId).toBe(EXAMPLE_RECORDING_ID);
    // Not "active": the record keeps waiting for that stop, with the id it needs for it.
    expect(outcome.record).toMatchObject({ state: 'starting', recordingId: EXAMPLE_RECORDING_ID });
  });

  it('keeps a failure ACS reported while the start was out (StartRecordingFailed before the answer)', () => {
    const failedMeanwhile = inFlightRecord({ state: 'failed' });
    expect(recordAfterStart(failedMeanwhile, started('inactive'), false, at(2))).toEqual({
      record: expect.objectContaining({
        state: 'failed',
        recordingId: EXAMPLE_RECORDING_ID,
        start: expect.objectContaining({ inFlight: false }),
      }),
      stopRecordingId: null,
    });
    // A failure of an earlier attempt (no start in flight) is not that: ACS's answer is the news.
    const earlier = recordWith({ state: 'failed', recordingId: null });
    expect(recordAfterStart(earlier, started('active'), false, at(2)).record?.state).toBe('active');
  });

  it('stops an orphan: a second recording for a call that already has one', () => {
    const outcome = recordAfterStart(recordWith({ recordingId: 'other+id/==' }), started('active'), false, at(2));
    expect(outcome).toEqual({ record: null, stopRecordingId: EXAMPLE_RECORDING_ID });
  });
});

describe('recordAfterStartFailure', () => {
  it('keeps whether ACS may have started a recording, for the retry', () => {
    expect(
      recordAfterStartFailure(inFlightRecord(), { code: 'AcsUnreachable', uncertain: true }, at(15)),
    ).toMatchObject({
      state: 'failed',
      start: { inFlight: false, uncertain: true },
    });
  });

  it('satisfies a waiting stop when nothing can be recording', () => {
    const waiting = inFlightRecord({ stopRequested: { at: at(1).toISOString(), trigger: 'CallEnded' } });
    expect(recordAfterStartFailure(waiting, { code: 'AcsAccessDenied', uncertain: false }, at(2))?.state).toBe(
      'stopped',
    );
    // Uncertain: ACS may be recording; the stop must first learn the id (the record stays unresolved).
    expect(recordAfterStartFailure(waiting, { code: 'AcsUnavailable', uncertain: true }, at(2))).toMatchObject({
      state: 'starting',
      stopRequested: { trigger: 'CallEnded' },
      start: { inFlight: false, uncertain: true },
    });
  });

  it('keeps what ACS said (status, its own code) and how many requests were sent, in the reason', () => {
    const detail = 'ACS 500 code 9999, 3 attempts';
    expect(
      recordAfterStartFailure(inFlightRecord(), { code: 'AcsUnavailable', uncertain: true, detail }, at(3)),
    ).toMatchObject({ state: 'failed', reason: 'start failed: AcsUnavailable (ACS 500 code 9999, 3 attempts)' });
  });

  it('changes nothing once the recording is known', () => {
    expect(recordAfterStartFailure(recordWith(), { code: 'AcsUnavailable', uncertain: true }, at(2))).toBeNull();
  });
});
