import type { CallLocator, StartRecordingResult } from '../acs';
import type { RecordingApiDialect } from '../config';
import { withChange, type CallRecord, type RecordingState, type StartAttempt } from './callRecord';

/**
 * The decisions of recording control (this file: starting; stopDecisions.ts: stop, pause, resume;
 * callbackDecisions.ts: state callbacks), as pure functions of the call record as it is now. The I/O around them
 * (recordingControl.ts) reads the record, asks one of these, writes the answer conditionally (ETag) and sends what it
 * says to ACS; on a lost race it reads again and asks again. No callback, duplicate or concurrent request can bend
 * them:
 * - one logical start at a time, named by a random Repeatability-Request-ID stored before the first attempt;
 * - a recordingId comes only from ACS's answer to our own start;
 * - a stop that arrives while a start is unresolved wins: the start's recording is stopped when it is known;
 * - pause and resume are always sent to ACS (never skipped because of a stored state);
 * - a callback moves only the recording this app started, and never a stopped one.
 */

export interface Timing {
  now: Date;
  /** A claim in flight for longer than this belongs to a crashed instance and may be taken over. */
  staleClaimMs: number;
  /** How long after its first attempt a start may still be retried with the same repeatability headers. */
  repeatabilityWindowMs: number;
}

/** ACS keeps repeatability results 5 minutes (https://learn.microsoft.com/en-us/rest/api/communication/repeatable-requests); keep a margin for clock skew. */
export const REPEATABILITY_WINDOW_MS = 4 * 60_000;
export const STALE_CLAIM_MS = 60_000;

export interface Trigger {
  /** `api`: the application asked; `event`: a call event or callback. */
  source: 'api' | 'event';
  /** `API request`, or the event type. */
  name: string;
}

export interface StartRequest {
  locator: CallLocator;
  callConnectionId: string | null;
  trigger: Trigger;
  dialect: RecordingApiDialect;
}

export type Claim = { kind: 'claimed'; record: CallRecord; create: boolean } | { kind: 'unchanged'; reason: string };

/** Whether (and how) to send a start for the call: a new logical start, a retry of the current one, or nothing. */
export function claimFor(
  current: CallRecord | undefined,
  request: StartRequest,
  timing: Timing,
  newRequestId: () => string,
): Claim {
  const reason = `start (${request.trigger.name})`;
  if (!current) {
    const record: CallRecord = {
      version: 2,
      locator: request.locator,
      callConnectionId: request.callConnectionId,
      recordingId: null,
      state: 'starting',
      start: freshStart(request.trigger, timing.now, newRequestId),
      stopRequested: null,
      dialect: request.dialect,
      createdAt: timing.now.toISOString(),
      updatedAt: timing.now.toISOString(),
      reason,
      history: [{ state: 'starting', at: timing.now.toISOString(), reason }],
    };
    return { kind: 'claimed', record, create: true };
  }
  if (current.stopRequested) return { kind: 'unchanged', reason: 'a stop is waiting for the start to resolve' };
  const claimWith = (start: StartAttempt, fresh: boolean): Claim => ({
    kind: 'claimed',
    create: false,
    record: {
      ...withChange(current, 'starting', reason, timing.now),
      start,
      ...(fresh ? { recordingId: null } : {}),
      callConnectionId: request.callConnectionId ?? current.callConnectionId,
    },
  });
  switch (current.state) {
    case 'active':
    case 'paused':
      return { kind: 'unchanged', reason: `already ${current.state}` };
    case 'starting':
      if (current.recordingId !== null) return { kind: 'unchanged', reason: 'ACS accepted the start' };
      if (current.start?.inFlight && !isStale(current.start, timing)) {
        return { kind: 'unchanged', reason: 'a start is in flight' };
      }
      return claimWith(...retryOrFresh(current.start, request.trigger, timing, newRequestId));
    case 'failed':
      if (current.start?.uncertain)
        return claimWith(...retryOrFresh(current.start, request.trigger, timing, newRequestId));
      return claimWith(freshStart(request.trigger, timing.now, newRequestId), true);
    case 'stopped':
      // NOTE: only the application records a stopped call again. A late or redelivered CallStarted must not restart
      // the recording of a call whose end was already handled.
      if (request.trigger.source !== 'api') return { kind: 'unchanged', reason: 'stopped; events never restart it' };
      return claimWith(freshStart(request.trigger, timing.now, newRequestId), true);
  }
}

/** What ACS's answer to our start does to the record, and which recording (if any) must now be stopped. */
export function recordAfterStart(
  current: CallRecord,
  result: StartRecordingResult,
  pauseOnStart: boolean,
  now: Date,
): { record: CallRecord | null; stopRecordingId: string | null } {
  const resolved = current.start ? { ...current.start, inFlight: false, uncertain: false } : null;
  const started = result.kind === 'started' ? result.recordingId : null;
  if (current.state === 'stopped' || current.stopRequested) {
    // A stop won the race: the recording just started is stopped; the record keeps its id for that stop.
    return {
      record: { ...current, start: resolved, recordingId: current.recordingId ?? started },
      stopRecordingId: current.recordingId ?? started,
    };
  }
  if (current.state === 'failed' && current.start?.inFlight) {
    // StartRecordingFailed arrived before ACS's answer to this start: the recording failed; keep what ACS named.
    return {
      record: { ...current, start: resolved, recordingId: current.recordingId ?? started },
      stopRecordingId: null,
    };
  }
  if (current.recordingId !== null) {
    // Resolved before (a duplicate answer). A different id would be an orphan of ours: stop it.
    const orphan = started !== null && started !== current.recordingId ? started : null;
    return { record: current.start?.inFlight ? { ...current, start: resolved } : null, stopRecordingId: orphan };
  }
  if (result.kind === 'alreadyInProgress') {
    return {
      record: {
        ...withChange(current, 'active', 'ACS: a recording is already in progress (8553)', now),
        start: resolved,
      },
      stopRecordingId: null,
    };
  }
  const state: RecordingState =
    result.state === 'active' ? 'active' : result.state === 'inactive' && pauseOnStart ? 'paused' : 'starting';
  return {
    record: {
      ...withChange(current, state, `ACS: started (${result.state})`, now),
      start: resolved,
      recordingId: result.recordingId,
    },
    stopRecordingId: null,
  };
}

/**
 * A start attempt failed. `uncertain`: ACS may have started a recording anyway (a timeout, a 5xx). `detail`: what ACS
 * said (its status and own error code) and how many requests were sent, for the record's reason.
 */
export function recordAfterStartFailure(
  current: CallRecord,
  failure: { code: string; uncertain: boolean; detail?: string },
  now: Date,
): CallRecord | null {
  if (current.recordingId !== null || !current.start) return null;
  const start = { ...current.start, inFlight: false, uncertain: failure.uncertain };
  if (current.stopRequested && !failure.uncertain) {
    // Nothing records: the stop that was waiting is satisfied.
    return { ...withChange(current, 'stopped', `stopped (${current.stopRequested.trigger})`, now), start };
  }
  if (current.stopRequested) return { ...current, start };
  const why = `start failed: ${failure.code}${failure.detail ? ` (${failure.detail})` : ''}`;
  return { ...withChange(current, 'failed', why, now), start };
}

function freshStart(trigger: Trigger, now: Date, newRequestId: () => string): StartAttempt {
  return {
    requestId: newRequestId(),
    firstSent: now.toUTCString(),
    claimedAt: now.toISOString(),
    attempts: 1,
    inFlight: true,
    uncertain: false,
    trigger: trigger.name,
  };
}

function retryOrFresh(
  start: StartAttempt | null,
  trigger: Trigger,
  timing: Timing,
  newRequestId: () => string,
): [StartAttempt, boolean] {
  if (start && withinWindow(start, timing)) return [retried(start, timing), false];
  return [freshStart(trigger, timing.now, newRequestId), true];
}

/**
 * What a stop, pause or resume must do about a start whose outcome is not known (in flight, or failed uncertainly):
 * `await` it while its sender is alive; `retry` it with the same repeatability headers (ACS then answers with the
 * recording it started) when its sender died or it failed uncertainly; null when there is no such start, or it is too
 * old to retry.
 */
export function unresolvedStart(
  start: StartAttempt | null,
  timing: Timing,
): { kind: 'await' } | { kind: 'retry'; start: StartAttempt } | null {
  if (!start || !(start.inFlight || start.uncertain)) return null;
  if (start.inFlight && !isStale(start, timing)) return { kind: 'await' };
  return withinWindow(start, timing) ? { kind: 'retry', start: retried(start, timing) } : null;
}

/** The next attempt of the same logical start (same Repeatability-Request-ID and First-Sent), claimed now. */
function retried(start: StartAttempt, timing: Timing): StartAttempt {
  return { ...start, claimedAt: timing.now.toISOString(), attempts: start.attempts + 1, inFlight: true };
}

function isStale(start: StartAttempt, timing: Timing): boolean {
  return timing.now.getTime() - Date.parse(start.claimedAt) > timing.staleClaimMs;
}

function withinWindow(start: StartAttempt, timing: Timing): boolean {
  return timing.now.getTime() - Date.parse(start.firstSent) < timing.repeatabilityWindowMs;
}
