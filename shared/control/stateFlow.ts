import { NotFoundError, toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { safeText, shortId } from '../text';
import { viewOf, type RecordingView } from './callRecord';
import type { StoredCall } from './callStore';
import { noteAccessDenied, unknownCall, updateRecord, type ControlDeps } from './controlDeps';
import { recordAfterAcsAnswer, recordingToAskAbout, type AcsAnswer } from './stateDecisions';

/**
 * What is known of a call's recording. One that is recording or paused here is asked about at ACS first (ACS ends a
 * recording by itself when the call ends); when ACS cannot be asked, the stored state is the answer.
 */
export async function readRecording(deps: ControlDeps, callKey: string, log: Logger): Promise<RecordingView> {
  const stored = await deps.store.get(callKey);
  if (!stored) throw unknownCall(callKey);
  const recordingId = recordingToAskAbout(stored.record);
  if (recordingId === null) return viewOf(stored.record);
  let answer: AcsAnswer;
  try {
    answer = await deps.acs.state(callKey, recordingId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) {
      noteAccessDenied(error, 'state', callKey, log);
      log.warn(
        `recording control: could not ask ACS about the recording of call ${shortId(callKey)}, answering what is ` +
          `stored: ${safeText(toError(error).message, 300)}`,
      );
      return viewOf(stored.record);
    }
    answer = 'gone';
  }
  return noteAcsAnswer(deps, callKey, stored, recordingId, answer, log);
}

/**
 * Records what ACS said about the recording (a read, a pause or a resume asked it). When the record cannot be
 * written, what ACS said is still the answer: the next read asks again.
 */
export async function noteAcsAnswer(
  deps: ControlDeps,
  callKey: string,
  stored: StoredCall,
  recordingId: string,
  answer: AcsAnswer,
  log: Logger,
): Promise<RecordingView> {
  const next = recordAfterAcsAnswer(stored.record, recordingId, answer, deps.now());
  if (next === null) return viewOf(stored.record);
  let view: RecordingView;
  try {
    view = viewOf(
      await updateRecord(deps, callKey, stored, (r) => recordAfterAcsAnswer(r, recordingId, answer, deps.now())),
    );
  } catch (error) {
    log.warn(`recording control: could not record what ACS said (${answer}): ${safeText(toError(error).message, 300)}`);
    view = viewOf(next);
  }
  if (answer === 'gone') {
    logEvent(log, 'info', 'RecordingStopped', {
      serverCallId: shortId(callKey),
      recordingId: shortId(recordingId),
      trigger: 'ACS 404 (the call ended)',
    });
  }
  return view;
}
