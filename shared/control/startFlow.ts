import { AcsNotFoundError, AcsUnavailableError, type CallLocator, type StartRecordingResult } from '../acs';
import { AppError, RetryableError, toError } from '../errors';
import type { Logger } from '../logger';
import { backoffMs, sleep } from '../retry';
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
  /** When the call event that asks for this start happened (its time, else its receipt); absent for the API. */
  eventTime?: Date;
}

/**
 * ACS may not know a call yet when its first event arrives: a 404 to a start made for a call event younger than this
 * is retried (the event is answered 5xx and comes again); later, the call is gone.
 */
export const YOUNG_CALL_EVENT_MS = 5 * 60_000;

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
    return sendStart(deps, written, options.trigger, log, options);
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
  context: Pick<StartOptions, 'operationContext' | 'eventTime'> = {},
): Promise<RecordingView> {
  const { locator, start } = claimed.record;
  const key = locator.id;
  const callbackUrl = deps.settings.recordingStateCallbackUrl;
  const input = {
    locator,
    recording: deps.settings.recording,
    ...(callbackUrl ? { recordingStateCallbackUri: callbackUrl.href } : {}),
    ...(context.operationContext ? { operationContext: context.operationContext } : {}),
    ...(start ? { repeatability: { requestId: start.requestId, firstSent: start.firstSent } } : {}),
  };
  let result: StartRecordingResult;
  let attempts = 0;
  try {
    result = await startAtAcs(deps, input, key, log, () => attempts++);
  } catch (thrown) {
    const error = classified(thrown, context.eventTime, deps.now());
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
    const detail = failureDetail(thrown, attempts);
    const recorded = await updateRecord(deps, key, claimed, (r) =>
      recordAfterStartFailure(r, { code, uncertain, detail }, deps.now()),
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
 * The start request, sent again (same repeatability headers: one logical start) while ACS answers 5xx, 429 or 408,
 * at most `startRetry.maxAttempts` times in one delivery. A Retry-After longer than this delivery can wait ends the
 * attempts: the caller is answered 5xx (with that Retry-After) and the event comes again.
 */
async function startAtAcs(
  deps: ControlDeps,
  input: Parameters<ControlDeps['acs']['start']>[0],
  key: string,
  log: Logger,
  counted: () => void,
): Promise<StartRecordingResult> {
  const policy = deps.startRetry;
  for (let attempt = 1; ; attempt++) {
    counted();
    try {
      return await deps.acs.start(input);
    } catch (error) {
      const asked = error instanceof AcsUnavailableError ? (error.retryAfterMs ?? 0) : Infinity;
      if (attempt >= policy.maxAttempts || asked > policy.maxRetryAfterMs) throw error;
      const delay = backoffMs(policy, attempt, error);
      log.warn(
        `recording control: ACS answered the start of call ${shortId(key)} with ${describeAcs(error as AcsUnavailableError)}; ` +
          `attempt ${attempt} of ${policy.maxAttempts}, again in ${Math.round(delay)} ms`,
      );
      await sleep(delay);
    }
  }
}

/** A 404 to a start for a young call event means "not known yet", not "gone": worth another delivery. */
function classified(error: unknown, eventTime: Date | undefined, now: Date): unknown {
  if (!(error instanceof AcsNotFoundError) || eventTime === undefined) return error;
  const ageMs = now.getTime() - eventTime.getTime();
  if (ageMs >= YOUNG_CALL_EVENT_MS) return error;
  return new RetryableError(
    'AcsCallNotKnownYet',
    `${error.message}; its call event is ${Math.max(0, Math.round(ageMs / 1000))} s old, so the recording service may not know the call yet: retry`,
    { cause: error },
  );
}

/** What the call record keeps of a failed start: ACS's status and own code, and how many requests were sent. */
function failureDetail(error: unknown, attempts: number): string | undefined {
  const said = error instanceof AcsUnavailableError || error instanceof AcsNotFoundError ? describeAcs(error) : '';
  const parts = [said, attempts > 1 ? `${attempts} attempts` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function describeAcs(error: AcsUnavailableError | AcsNotFoundError): string {
  const status = error instanceof AcsUnavailableError ? error.status : 404;
  return `ACS ${status}${error.acsCode ? ` code ${error.acsCode}` : ''}`;
}

/**
 * Whether ACS may have started a recording although the start failed: after a timeout or a 5xx it may have; after
 * 401/403, 404, 412 (repeatability expired), a refused token or another 4xx it did not.
 */
function isUncertain(error: unknown): boolean {
  if (!(error instanceof AppError)) return true;
  if (error.kind !== 'retryable') return false;
  return !['AcsAccessDenied', 'RepeatabilityExpired', 'TokenUnavailable', 'AcsCallNotKnownYet'].includes(error.code);
}
