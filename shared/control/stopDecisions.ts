import { withChange, type CallRecord } from './callRecord';
import { unresolvedStart, type Timing, type Trigger } from './startDecisions';

/**
 * Stop, pause and resume, as pure functions of the call record (see startDecisions.ts for the rules). A stop that
 * finds a start unresolved marks the record and waits, or asks ACS again with the same repeatability headers to learn
 * the recording it must stop; pause and resume are always sent to ACS.
 */

export type StopPlan =
  | { kind: 'unknownCall' }
  | { kind: 'done' }
  | { kind: 'send'; recordingId: string }
  | { kind: 'markStopped'; record: CallRecord }
  | { kind: 'await'; record: CallRecord | null }
  | { kind: 'resolve'; record: CallRecord }
  | { kind: 'conflict'; message: string };

/** How to stop the call's recording. `await`: a start is in flight; write the mark (if any) and look again later. */
export function stopPlanFor(current: CallRecord | undefined, trigger: Trigger, timing: Timing): StopPlan {
  if (!current) return { kind: 'unknownCall' };
  if (current.state === 'stopped') return { kind: 'done' };
  if (current.recordingId !== null) return { kind: 'send', recordingId: current.recordingId };
  const mark = current.stopRequested ?? { at: timing.now.toISOString(), trigger: trigger.name };
  const pending = unresolvedStart(current.start, timing);
  if (pending?.kind === 'await') {
    return { kind: 'await', record: current.stopRequested ? null : { ...current, stopRequested: mark } };
  }
  if (pending?.kind === 'retry') {
    // Ask ACS again with the same repeatability headers: it answers with the recording it started (or starts one),
    // and the start path, seeing the stop mark, stops it.
    return { kind: 'resolve', record: { ...current, start: pending.start, stopRequested: mark } };
  }
  const nothingKnownRecords = current.state === 'failed' && !current.start?.uncertain;
  if (nothingKnownRecords || trigger.source === 'event') {
    // NOTE: a call that ended ends its recordings at ACS too, so "stopped" is true even for an id we never learnt.
    const why = nothingKnownRecords ? 'nothing was recording' : 'the call ended';
    return { kind: 'markStopped', record: withChange(current, 'stopped', `${trigger.name}: ${why}`, timing.now) };
  }
  return {
    kind: 'conflict',
    message:
      'a recording may be in progress that this app cannot identify (it was started by someone else, or its start ' +
      'is too old to be retried); it ends with the call',
  };
}

/** The record once ACS confirmed the stop (or said the recording no longer exists). */
export function recordAfterStop(current: CallRecord, trigger: Trigger, now: Date): CallRecord {
  return { ...withChange(current, 'stopped', `stopped (${trigger.name})`, now), stopRequested: null };
}

export type PausePlan =
  | { kind: 'notFound' }
  | { kind: 'send'; recordingId: string }
  | { kind: 'await' }
  | { kind: 'resolve'; record: CallRecord }
  | { kind: 'conflict'; message: string };

/** How to pause or resume: always by sending it to ACS, whatever state is stored. */
export function pausePlanFor(current: CallRecord | undefined, action: 'pause' | 'resume', timing: Timing): PausePlan {
  if (!current) return { kind: 'notFound' };
  if (current.state === 'stopped' || current.stopRequested) {
    return { kind: 'conflict', message: `the recording is stopped; it cannot ${action}` };
  }
  if (current.state === 'failed' && !current.start?.uncertain) {
    return { kind: 'conflict', message: `the recording failed to start; start it again before you ${action} it` };
  }
  if (current.recordingId !== null) return { kind: 'send', recordingId: current.recordingId };
  const pending = unresolvedStart(current.start, timing);
  if (pending?.kind === 'await') return { kind: 'await' };
  if (pending?.kind === 'retry') return { kind: 'resolve', record: { ...current, start: pending.start } };
  return {
    kind: 'conflict',
    message: `the recording in progress was not started by this app (or its start is too old to retry); it cannot ${action}`,
  };
}

/** The record once ACS accepted a pause or resume; null when a stop got there first. */
export function recordAfterPause(current: CallRecord, action: 'pause' | 'resume', now: Date): CallRecord | null {
  if (current.state === 'stopped' || current.stopRequested) return null;
  return withChange(current, action === 'pause' ? 'paused' : 'active', `API: ${action}`, now);
}
