import { pausePlanFor, recordAfterPause, recordAfterStop, stopPlanFor } from '../../../../shared/control/stopDecisions';
import type { Trigger } from '../../../../shared/control/startDecisions';
import { at, EXAMPLE_RECORDING_ID, inFlightRecord, recordWith, timingAt } from '../../../helpers/controlFixtures';

const callEnded: Trigger = { source: 'event', name: 'CallEnded' };
const api: Trigger = { source: 'api', name: 'API request' };

describe('stopPlanFor', () => {
  it('knows nothing of an unknown call (the caller decides: 404 for the API, nothing to do for an event)', () => {
    expect(stopPlanFor(undefined, api, timingAt(0))).toEqual({ kind: 'unknownCall' });
  });

  it('stops a known recording by its id, and a stopped one is done', () => {
    expect(stopPlanFor(recordWith({ state: 'paused' }), api, timingAt(0))).toEqual({
      kind: 'send',
      recordingId: EXAMPLE_RECORDING_ID,
    });
    expect(stopPlanFor(recordWith({ state: 'stopped' }), api, timingAt(0))).toEqual({ kind: 'done' });
  });

  it('marks a start in flight and waits for it (never "stopped" while ACS may record)', () => {
    const plan = stopPlanFor(inFlightRecord(), callEnded, timingAt(2));
    expect(plan).toMatchObject({
      kind: 'await',
      record: { state: 'starting', stopRequested: { at: '2026-03-01T10:00:02.000Z', trigger: 'CallEnded' } },
    });
    // Already marked: wait without writing again.
    const marked = inFlightRecord({ stopRequested: { at: at(2).toISOString(), trigger: 'CallEnded' } });
    expect(stopPlanFor(marked, callEnded, timingAt(3))).toEqual({ kind: 'await', record: null });
  });

  it('resolves a crashed or uncertain start by asking ACS again with the same headers, then stops it', () => {
    const plan = stopPlanFor(inFlightRecord(), api, timingAt(61));
    expect(plan).toMatchObject({
      kind: 'resolve',
      record: {
        stopRequested: { trigger: 'API request' },
        start: { requestId: '3a1f0a52-7d2c-4b8e-9f41-0c6f0f2d9b11', attempts: 2, inFlight: true },
      },
    });
  });

  it('cannot identify a recording started by someone else (8553): a conflict for the API, stopped for a call end', () => {
    const theirs = recordWith({ recordingId: null, start: { ...recordWith().start!, inFlight: false } });
    expect(stopPlanFor(theirs, api, timingAt(1)).kind).toBe('conflict');
    expect(stopPlanFor(theirs, callEnded, timingAt(1))).toMatchObject({
      kind: 'markStopped',
      record: { state: 'stopped', reason: 'CallEnded: the call ended' },
    });
  });

  it('marks a certainly failed start stopped: nothing was recording', () => {
    const failed = recordWith({ state: 'failed', recordingId: null });
    expect(stopPlanFor(failed, api, timingAt(1))).toMatchObject({ kind: 'markStopped', record: { state: 'stopped' } });
  });

  it('recordAfterStop clears the waiting mark', () => {
    const marked = recordWith({ state: 'starting', stopRequested: { at: at(1).toISOString(), trigger: 'CallEnded' } });
    expect(recordAfterStop(marked, callEnded, at(3))).toMatchObject({ state: 'stopped', stopRequested: null });
  });
});

describe('pausePlanFor', () => {
  it.each([['active'], ['paused'], ['starting']] as const)(
    'always sends a pause to ACS when the stored state is %s (a stored state is never a reason to skip)',
    (state) => {
      expect(pausePlanFor(recordWith({ state }), 'pause', timingAt(0))).toEqual({
        kind: 'send',
        recordingId: EXAMPLE_RECORDING_ID,
      });
      expect(pausePlanFor(recordWith({ state }), 'resume', timingAt(0))).toEqual({
        kind: 'send',
        recordingId: EXAMPLE_RECORDING_ID,
      });
    },
  );

  it('refuses to pause or resume a stopped recording (409)', () => {
    expect(pausePlanFor(recordWith({ state: 'stopped' }), 'pause', timingAt(0))).toEqual({
      kind: 'conflict',
      message: 'the recording is stopped; it cannot pause',
    });
    const stopping = recordWith({ stopRequested: { at: at(0).toISOString(), trigger: 'CallEnded' } });
    expect(pausePlanFor(stopping, 'resume', timingAt(0)).kind).toBe('conflict');
  });

  it('waits for a start in flight, and knows nothing of an unknown call', () => {
    expect(pausePlanFor(inFlightRecord(), 'pause', timingAt(5))).toEqual({ kind: 'await' });
    expect(pausePlanFor(undefined, 'pause', timingAt(5))).toEqual({ kind: 'notFound' });
  });

  it('recordAfterPause never moves a stopped recording', () => {
    expect(recordAfterPause(recordWith({ state: 'stopped' }), 'pause', at(1))).toBeNull();
    expect(recordAfterPause(recordWith({ state: 'active' }), 'pause', at(1))?.state).toBe('paused');
    expect(recordAfterPause(recordWith({ state: 'paused' }), 'resume', at(1))?.state).toBe('active');
  });
});
