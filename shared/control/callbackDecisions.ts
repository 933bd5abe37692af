import type { CallRecord, RecordingState } from './callRecord';

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
  if (current.recordingId === null) {
    return { kind: 'ignore', reason: 'this app does not know its recording id yet (never learnt from a callback)' };
  }
  if (callback.recordingId !== current.recordingId) {
    return { kind: 'ignore', reason: 'the callback is about another recording' };
  }
  if (current.state === 'stopped' || current.stopRequested)
    return { kind: 'ignore', reason: 'the recording is stopped' };
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
