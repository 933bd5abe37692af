import { randomUUID } from 'node:crypto';
import type { RecordingControlClient } from '../acs';
import type { Config } from '../config';
import { silentLogger, type Logger } from '../logger';
import { viewOf, type RecordingView } from './callRecord';
import { nextStateForCallback, recordAfterCallback, type StateCallback } from './callbackDecisions';
import type { CallStore, StoredCall } from './callStore';
import { contention, MAX_ROUNDS, START_RETRY, type ControlDeps, type StartRetryPolicy } from './controlDeps';
import { REPEATABILITY_WINDOW_MS, STALE_CLAIM_MS, type Trigger } from './startDecisions';
import { startRecording, type StartOptions } from './startFlow';
import { readRecording } from './stateFlow';
import { pauseOrResume, stopRecording } from './stopFlow';

export type { StartOptions } from './startFlow';

export interface RecordingControlOptions {
  now?: () => Date;
  /** Repeatability-Request-ID of a new logical start; default a random v4 UUID. */
  newRequestId?: () => string;
  /** How long a stop, pause or resume waits for a start in flight before it answers "retry later"; default 20 s. */
  startWaitMs?: number;
  pollMs?: number;
  staleClaimMs?: number;
  repeatabilityWindowMs?: number;
  /** Start requests per delivery while ACS answers 5xx; default START_RETRY. */
  startRetry?: StartRetryPolicy;
}

/** The ids a callback may name the call by. */
export interface CallIds {
  serverCallId: string | null;
  callConnectionId: string | null;
}

/**
 * Recording control: start, stop, pause, resume, state callbacks. The decisions are pure functions of the call record
 * (startDecisions.ts, stopDecisions.ts, callbackDecisions.ts); this and the flows around them only read the record,
 * ask, write the answer conditionally (ETag), send what it says to ACS, and ask again after a lost race.
 */
export class RecordingControl {
  private readonly deps: ControlDeps;

  constructor(
    store: CallStore,
    acs: RecordingControlClient,
    settings: Pick<Config, 'recording' | 'recordingStateCallbackUrl'>,
    options: RecordingControlOptions = {},
  ) {
    const now = options.now ?? (() => new Date());
    const staleClaimMs = options.staleClaimMs ?? STALE_CLAIM_MS;
    const repeatabilityWindowMs = options.repeatabilityWindowMs ?? REPEATABILITY_WINDOW_MS;
    this.deps = {
      store,
      acs,
      settings,
      now,
      newRequestId: options.newRequestId ?? randomUUID,
      timing: () => ({ now: now(), staleClaimMs, repeatabilityWindowMs }),
      startWaitMs: options.startWaitMs ?? 20_000,
      pollMs: options.pollMs ?? 250,
      startRetry: options.startRetry ?? START_RETRY,
    };
  }

  start(options: StartOptions, log: Logger): Promise<RecordingView> {
    return startRecording(this.deps, options, log);
  }

  stop(callKey: string, trigger: Trigger, log: Logger): Promise<RecordingView | undefined> {
    return stopRecording(this.deps, callKey, trigger, log);
  }

  pause(callKey: string, log: Logger): Promise<RecordingView> {
    return pauseOrResume(this.deps, callKey, 'pause', log);
  }

  resume(callKey: string, log: Logger): Promise<RecordingView> {
    return pauseOrResume(this.deps, callKey, 'resume', log);
  }

  /** What is known of the call's recording; one recording or paused here is asked about at ACS first. */
  get(callKey: string, log: Logger = silentLogger): Promise<RecordingView> {
    return readRecording(this.deps, callKey, log);
  }

  /** A recording state callback (RecordingStateChanged, StartRecordingFailed, the 2021 CallRecordingStateChanged). */
  async applyCallback(ids: CallIds, callback: StateCallback, log: Logger): Promise<RecordingView | undefined> {
    let found = await this.find(ids);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const decision = nextStateForCallback(found?.stored.record, callback);
      if (decision.kind === 'ignore') {
        log.info(`recording control: ${callback.type} callback ignored: ${decision.reason}`);
        return found ? viewOf(found.stored.record) : undefined;
      }
      const { key, stored } = found!;
      const next = recordAfterCallback(stored.record, callback, decision.state, this.deps.now());
      const written = await this.deps.store.replace(stored, next);
      if (written) return viewOf(written.record);
      const again = await this.deps.store.get(key);
      found = again ? { key, stored: again } : undefined;
    }
    throw contention(found?.key ?? ids.serverCallId ?? ids.callConnectionId ?? '');
  }

  /** The record a callback names: by serverCallId first, then by the callConnectionId a call may be known by. */
  private async find(ids: CallIds): Promise<{ key: string; stored: StoredCall } | undefined> {
    for (const key of [ids.serverCallId, ids.callConnectionId]) {
      if (!key) continue;
      const stored = await this.deps.store.get(key);
      if (stored) return { key, stored };
    }
    return undefined;
  }
}
