import { ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { shortId } from '../text';
import { viewOf, type RecordingView } from './callRecord';
import {
  contention,
  MAX_ROUNDS,
  noteAccessDenied,
  stopAtAcs,
  unknownCall,
  updateRecord,
  waitForStart,
  type ControlDeps,
} from './controlDeps';
import { sendStart } from './startFlow';
import type { Trigger } from './startDecisions';
import { noteAcsAnswer } from './stateFlow';
import { pausePlanFor, recordAfterPause, recordAfterStop, stopPlanFor } from './stopDecisions';

/**
 * Stops the call's recording; waits (bounded) for a start in flight, so that the answer "stopped" is only given once
 * ACS stopped. For a call this app knows nothing of: NotFound for the API, undefined for an event (nothing to stop).
 */
export async function stopRecording(
  deps: ControlDeps,
  callKey: string,
  trigger: Trigger,
  log: Logger,
): Promise<RecordingView | undefined> {
  const deadline = deps.now().getTime() + deps.startWaitMs;
  // NOTE: waiting for a start is bounded by the deadline; every other round is a lost race, bounded by MAX_ROUNDS.
  for (let races = 0; races <= MAX_ROUNDS;) {
    const stored = await deps.store.get(callKey);
    const plan = stopPlanFor(stored?.record, trigger, deps.timing());
    if (plan.kind !== 'await') races++;
    switch (plan.kind) {
      case 'unknownCall':
        if (trigger.source === 'api') throw unknownCall(callKey);
        return undefined;
      case 'done':
        return viewOf(stored!.record);
      case 'conflict':
        throw new ConflictError(`The recording of call ${shortId(callKey)} cannot be stopped: ${plan.message}`);
      case 'send': {
        await stopAtAcs(deps, callKey, plan.recordingId, log);
        const record = await updateRecord(deps, callKey, stored!, (r) =>
          r.state === 'stopped' ? null : recordAfterStop(r, trigger, deps.now()),
        );
        logEvent(log, 'info', 'RecordingStopped', {
          serverCallId: shortId(callKey),
          recordingId: shortId(plan.recordingId),
          trigger: trigger.name,
        });
        return viewOf(record);
      }
      case 'markStopped': {
        const written = await deps.store.replace(stored!, plan.record);
        if (written) return viewOf(written.record);
        break;
      }
      case 'await':
        if (plan.record && !(await deps.store.replace(stored!, plan.record))) {
          races++; // the mark lost a race: decide again
          break;
        }
        await waitForStart(deps, callKey, deadline);
        break;
      case 'resolve': {
        // Ask ACS again with the stored repeatability headers; sendStart sees the stop mark and stops the recording.
        const written = await deps.store.replace(stored!, plan.record);
        if (written) await sendStart(deps, written, trigger, log);
        break;
      }
    }
  }
  throw contention(callKey);
}

/** Pauses or resumes: always sent to ACS (a stored state is never a reason to skip it); 409 once stopped. */
export async function pauseOrResume(
  deps: ControlDeps,
  callKey: string,
  action: 'pause' | 'resume',
  log: Logger,
): Promise<RecordingView> {
  const deadline = deps.now().getTime() + deps.startWaitMs;
  for (let races = 0; races <= MAX_ROUNDS;) {
    const stored = await deps.store.get(callKey);
    const plan = pausePlanFor(stored?.record, action, deps.timing());
    if (plan.kind !== 'await') races++;
    switch (plan.kind) {
      case 'notFound':
        throw unknownCall(callKey);
      case 'conflict':
        throw new ConflictError(`Call ${shortId(callKey)}: ${plan.message}`);
      case 'send': {
        try {
          await (action === 'pause'
            ? deps.acs.pause(callKey, plan.recordingId)
            : deps.acs.resume(callKey, plan.recordingId));
        } catch (error) {
          noteAccessDenied(error, action, callKey, log);
          if (error instanceof NotFoundError) {
            await noteAcsAnswer(deps, callKey, stored!, plan.recordingId, 'gone', log);
            throw new ConflictError(
              `ACS no longer has the recording of call ${shortId(callKey)} (it ended with its call): it is stopped`,
            );
          }
          throw error;
        }
        return viewOf(await updateRecord(deps, callKey, stored!, (r) => recordAfterPause(r, action, deps.now())));
      }
      case 'await':
        await waitForStart(deps, callKey, deadline);
        break;
      case 'resolve': {
        const written = await deps.store.replace(stored!, plan.record);
        if (written) await sendStart(deps, written, { source: 'api', name: `API ${action}` }, log);
        break;
      }
    }
  }
  throw contention(callKey);
}
