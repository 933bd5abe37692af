import type { CallLocator, StartRecordingResult } from '../acs';
import { AppError, toError } from '../errors';
import type { Logger } from '../logger';
import { logEvent } from '../telemetry';
import { shortId } from '../text';
import { viewOf, type RecordingView } from './callRecord';
import type { StoredCall } from './callStore';
import { contention, MAX_ROUNDS, noteAccessDenied, stopAtAcs, updateRecord, type ControlDeps } from './controlDeps';
import { claimFor, recordAfterStart, recordAfterStartFailure, type Trigger } from './startDecisions';
import { recordAfterStop } from './stopDecisions';

export interface StartOptions {
  locator: CallLocator;
  callConnectionId?: string | null;
  trigger: Trigger;
  /** 2021 dialect only. */
  operationContext?: string;
}

/** Starts recording the call once, however many deliveries ask; answers with what is known after it. */
export async function startRecording(deps: ControlDeps, options: StartOptions, log: Logger): Promise<RecordingView> {
  const request = {
    locator: options.locator,
    callConnectionId: options.callConnectionId ?? null,
    trigger: options.trigger,
    dialect: deps.acs.dialect,
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const stored = await deps.store.get(options.locator.id);
    const claim = claimFor(stored?.record, request, deps.timing(), () => deps.newRequestId());
    if (claim.kind === 'unchanged') {
      log.debug(`recording control: no start for call ${shortId(options.locator.id)}: ${claim.reason}`);
      return viewOf(stored!.record);
    }
    const written = claim.create
      ? await deps.store.create(claim.record)
      : await deps.store.replace(stored!, claim.record);
    if (!written) continue; // another writer got there first: decide again on what it wrote
    return sendStart(deps, written, options.trigger, log, options.operationContext);
  }
  throw contention(options.locator.id);
}

/**
 * Sends the start the record claims (with its stored repeatability headers) and records the outcome; when a stop won
 * the race meanwhile, stops the new recording at once.
 */
export async function sendStart(
  deps: ControlDeps,
  claimed: StoredCall,
  trigger: Trigger,
  log: Logger,
  operationContext?: string,
): Promise<RecordingView> {
  const { locator, start } = claimed.record;
  const key = locator.id;
  const callbackUrl = deps.settings.recordingStateCallbackUrl;
  let result: StartRecordingResult;
  try {
    result = await deps.acs.start({
      locator,
      recording: deps.settings.recording,
      ...(callbackUrl ? { recordingStateCallbackUri: callbackUrl.href } : {}),
      ...(operationContext ? { operationContext } : {}),
      ...(start ? { repeatability: { requestId: start.requestId, firstSent: start.firstSent } } : {}),
    });
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'InternalError';
    const retryable = !(error instanceof AppError) || error.kind === 'retryable';
    logEvent(log, retryable ? 'warn' : 'error', 'RecordingStartFailed', {
      serverCallId: shortId(key),
      failureCode: code,
      retryable,
      error: toError(error).message,
    });
    noteAccessDenied(error, 'start', key, log);
    const uncertain = isUncertain(error);
    const recorded = await updateRecord(deps, key, claimed, (r) =>
      recordAfterStartFailure(r, { code, uncertain }, deps.now()),
    ).catch((storeError: unknown) => {
      log.warn(`recording control: could not record the failed start: ${toError(storeError).message}`);
      return undefined;
    });
    // A stop was waiting for this start, and ACS certainly started nothing: the call is not recorded, which is what
    // the stop asked for. That is the outcome (not a failure) for whoever sent this start.
    if (!uncertain && recorded?.state === 'stopped') return viewOf(recorded);
    throw error;
  }
  let stopRecordingId: string | null = null;
  let record = await updateRecord(deps, key, claimed, (r) => {
    const outcome = recordAfterStart(r, result, deps.settings.recording.pauseOnStart, deps.now());
    stopRecordingId = outcome.stopRecordingId;
    return outcome.record;
  });
  logEvent(log, 'info', 'RecordingStarted', {
    serverCallId: shortId(key),
    recordingId: shortId(result.recordingId),
    state: result.kind === 'started' ? result.state : 'alreadyInProgress',
    trigger: trigger.name,
  });
  if (stopRecordingId === null) return viewOf(record);
  // A stop arrived while the start was out: the recording just started must not go on.
  const id: string = stopRecordingId;
  await stopAtAcs(deps, key, id, log);
  const stopper = { source: 'event' as const, name: record.stopRequested?.trigger ?? 'stop during start' };
  const current = await deps.store.get(key);
  if (current) {
    record = await updateRecord(deps, key, current, (r) =>
      r.state === 'stopped' && !r.stopRequested ? null : recordAfterStop(r, stopper, deps.now()),
    );
  }
  logEvent(log, 'info', 'RecordingStopped', {
    serverCallId: shortId(key),
    recordingId: shortId(id),
    trigger: stopper.name,
  });
  return viewOf(record);
}

/**
 * Whether ACS may have started a recording although the start failed: after a timeout or a 5xx it may have; after
 * 401/403, 412 (repeatability expired), a refused token or a 4xx it did not.
 */
function isUncertain(error: unknown): boolean {
  if (!(error instanceof AppError)) return true;
  if (error.kind !== 'retryable') return false;
  return !['AcsAccessDenied', 'RepeatabilityExpired', 'TokenUnavailable'].includes(error.code);
}
