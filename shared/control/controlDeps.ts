import { type RecordingControlClient, AccessDeniedError } from '../acs';
import type { Config } from '../config';
import { NotFoundError, RetryableError } from '../errors';
import type { Logger } from '../logger';
import { sleep, type RetryPolicy } from '../retry';
import { logEvent } from '../telemetry';
import { shortId } from '../text';
import type { CallRecord } from './callRecord';
import type { CallStore, StoredCall } from './callStore';
import type { Timing } from './startDecisions';

/** What the start and stop flows need: the store, ACS, the recording settings and the clock. */
export interface ControlDeps {
  store: CallStore;
  acs: RecordingControlClient;
  settings: Pick<Config, 'recording' | 'recordingStateCallbackUrl'>;
  now(): Date;
  newRequestId(): string;
  timing(): Timing;
  /** How long a stop, pause or resume waits for a start in flight before it answers "retry later". */
  startWaitMs: number;
  pollMs: number;
  /** Start requests per delivery while ACS answers 5xx/429/408, and the longest Retry-After worth waiting for. */
  startRetry: StartRetryPolicy;
}

export type StartRetryPolicy = RetryPolicy & { maxRetryAfterMs: number };

/**
 * Three requests per delivery, under a second apart: a persistent 500 is then answered 5xx well within Event Grid's
 * 30 s, and the next delivery (seconds to minutes later) tries again.
 */
export const START_RETRY: StartRetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 5_000,
};

/** Lost races tolerated in one operation before it answers "retry later". */
export const MAX_ROUNDS = 20;

/** Applies `change` (null: nothing to write) with ETag retries, re-reading when another writer got there first. */
export async function updateRecord(
  deps: Pick<ControlDeps, 'store'>,
  callKey: string,
  stored: StoredCall,
  change: (r: CallRecord) => CallRecord | null,
): Promise<CallRecord> {
  let current: StoredCall | undefined = stored;
  for (let round = 0; round < MAX_ROUNDS && current; round++) {
    const next = change(current.record);
    if (next === null) return current.record;
    const written = await deps.store.replace(current, next);
    if (written) return written.record;
    current = await deps.store.get(callKey);
  }
  throw contention(callKey);
}

/** Stops a recording at ACS; "not found" counts as stopped (ACS forgets a recording once its call ends). */
export async function stopAtAcs(
  deps: Pick<ControlDeps, 'acs'>,
  callKey: string,
  recordingId: string,
  log: Logger,
): Promise<void> {
  try {
    await deps.acs.stop(callKey, recordingId);
  } catch (error) {
    if (error instanceof NotFoundError) return;
    noteAccessDenied(error, 'stop', callKey, log);
    throw error;
  }
}

/** The alert line for ACS 401/403 (AccessDeniedError, from the control API or the store): a key, a role or a clock is wrong. */
export function noteAccessDenied(error: unknown, operation: string, callKey: string, log: Logger): void {
  if (!(error instanceof AccessDeniedError)) return;
  logEvent(log, 'error', 'AcsAccessDenied', {
    operation,
    status: error.status,
    failureCode: error.code,
    target: shortId(callKey),
  });
}

/** One poll while a start is in flight; "retry later" once the deadline has passed. */
export async function waitForStart(deps: ControlDeps, callKey: string, deadline: number): Promise<void> {
  if (deps.now().getTime() >= deadline) {
    throw new RetryableError(
      'StartInProgress',
      `The recording of call ${shortId(callKey)} is still starting; retry in a few seconds`,
    );
  }
  await sleep(deps.pollMs);
}

export function unknownCall(callKey: string): NotFoundError {
  return new NotFoundError(`No recording is known for call ${shortId(callKey)}`, 'CallNotFound');
}

export function contention(callKey: string): RetryableError {
  return new RetryableError('StoreContention', `Too many concurrent changes to call ${shortId(callKey)}; retry later`);
}
