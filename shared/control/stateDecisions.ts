import { withChange, type CallRecord } from './callRecord';

/**
 * ACS is the truth about whether a recording still exists (pure; see startDecisions.ts for the rest of the machine).
 * ACS ends a recording by itself when its call ends, and not every call type sends CallEnded, so without asking, a
 * recording could stay `paused` here forever. ACS's state has only `active` and `inactive`; `inactive` is what a
 * pause looks like.
 */

/** What ACS said about a recording: its state, or that it no longer has it (404). */
export type AcsAnswer = 'active' | 'inactive' | 'unknown' | 'gone';

/** The recording to ask ACS about before answering a read: one this app knows the id of, recording or paused. */
export function recordingToAskAbout(current: CallRecord): string | null {
  if (current.recordingId === null || current.stopRequested) return null;
  return current.state === 'active' || current.state === 'paused' ? current.recordingId : null;
}

/**
 * The record once ACS answered about `recordingId` (a read, a pause, a resume); null when nothing changes: the answer
 * is about a recording the record no longer names, the record moved on meanwhile, or ACS agrees.
 */
export function recordAfterAcsAnswer(
  current: CallRecord,
  recordingId: string,
  answer: AcsAnswer,
  now: Date,
): CallRecord | null {
  if (current.recordingId !== recordingId || current.stopRequested) return null;
  if (current.state === 'stopped' || current.state === 'failed') return null;
  if (answer === 'gone') {
    // NOTE: 404 from ACS for a recording this app started: the call ended, and ACS ended the recording with it.
    return withChange(current, 'stopped', 'ACS no longer has the recording (404): it ended with its call', now);
  }
  if (current.state !== 'active' && current.state !== 'paused') return null;
  const state = answer === 'active' ? 'active' : answer === 'inactive' ? 'paused' : current.state;
  return state === current.state ? null : withChange(current, state, `ACS: the recording is ${answer}`, now);
}
