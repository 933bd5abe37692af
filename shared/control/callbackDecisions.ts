import { withChange, type CallRecord, type RecordingState } from './callRecord';

/**
 * What a recording state callback may change (pure; see startDecisions.ts for the rest of the machine). Callbacks come
 * from the calling platform, or from anyone who learnt the URL: they move only the state of the recording this app
 * started for the call, never its id, and never a stopped recording.
 */

export interface StateCallback {
  type: 'stateChanged' | 'startFailed';
  recordingId: string | null;
  /** `active` / `inactive` (open string); null for startFailed. */
  state: string | null;
  recordingKind: string | null;
  /** StartRecordingFailed's `resultInformation` code and subCode, when it said. */
  result?: { code: number | null; subCode: number | null } | null;
}

export type CallbackDecision = { kind: 'apply'; state: RecordingState } | { kind: 'ignore'; reason: string };

/** ACS's kind for recordings started through its API; `teams` and `teamsCompliance` are someone else's. */
const OUR_RECORDING_KIND = 'azurecommunicationservices';

/** What a state callback may change: only the state of the recording this app started, never a stopped one. */
export function nextStateForCallback(current: CallRecord | undefined, callback: StateCallback): CallbackDecision {
  if (!current) return { kind: 'ignore', reason: 'no recording is known for this call' };
  if (callback.recordingKind !== null && callback.recordingKind.toLowerCase() !== OUR_RECORDING_KIND) {
    return { kind: 'ignore', reason: 'the recording is of another kind' };
  }
  if (current.state === 'stopped' || current.stopRequested) {
    return { kind: 'ignore', reason: 'the recording is stopped' };
  }
  if (callback.type === 'startFailed' && callback.recordingId === null) return startFailedWithoutId(current);
  if (current.recordingId === null) {
    return { kind: 'ignore', reason: 'this app does not know its recording id yet (never learnt from a callback)' };
  }
  if (callback.recordingId !== current.recordingId) {
    return { kind: 'ignore', reason: 'the callback is about another recording' };
  }
  let next: RecordingState;
  if (callback.type === 'startFailed') next = 'failed';
  else {
    const s = (callback.state ?? '').toLowerCase();
    if (s === 'active') next = 'active';
    // NOTE: `inactive` before the recording was ever active (a 202 start) means not recording yet, not paused.
    else if (s === 'inactive') next = current.state === 'starting' ? 'starting' : 'paused';
    else return { kind: 'ignore', reason: 'the state is not one ACS documents' };
  }
  return next === current.state ? { kind: 'ignore', reason: 'no change' } : { kind: 'apply', state: next };
}

/**
 * NOTE: `recordingId` is optional in StartRecordingFailed (the 2025-06-15 REST spec's definition; the JS SDK's
 * `StartRecordingFailed.recordingId?`). Without it, the failure names the call (the record was found by its
 * serverCallId or callConnectionId), so it is about the start in progress: a recording still starting, or one ACS
 * accepted. A paused or failed recording is past that.
 */
function startFailedWithoutId(current: CallRecord): CallbackDecision {
  if (current.state !== 'starting' && current.state !== 'active') {
    return { kind: 'ignore', reason: `the recording is ${current.state}, not starting or active` };
  }
  return { kind: 'apply', state: 'failed' };
}

/**
 * The record once a callback's decision is applied. A failure ACS reported is certain (nothing records), so the next
 * start of the call is a new logical start with a new Repeatability-Request-ID, never a retry of this one.
 */
export function recordAfterCallback(
  current: CallRecord,
  callback: StateCallback,
  state: RecordingState,
  now: Date,
): CallRecord {
  if (callback.type !== 'startFailed') return withChange(current, state, `callback: ${callback.state ?? ''}`, now);
  const result = callback.result;
  const said = result ? ` (code ${result.code ?? '?'}, subCode ${result.subCode ?? '?'})` : '';
  const next = withChange(current, state, `callback: StartRecordingFailed${said}`, now);
  return { ...next, start: current.start ? { ...current.start, uncertain: false } : null };
}
