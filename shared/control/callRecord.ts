import type { CallLocator } from '../acs';
import type { RecordingApiDialect } from '../config';

/**
 * The call record: what this app knows of the one recording it started for a call. One JSON blob per call in the
 * control container; every change is a conditional write computed by a pure function of the record as it is now
 * (startDecisions.ts, stopDecisions.ts, callbackDecisions.ts), so that concurrent deliveries, callbacks and API calls cannot overwrite one another.
 */

/** What the API reports (the GA wire has no paused state; `inactive` after a pause is reported as `paused`). */
export type RecordingState = 'starting' | 'active' | 'paused' | 'stopped' | 'failed';

/** One logical start: the unit that Repeatability-Request-ID names. */
export interface StartAttempt {
  /** Repeatability-Request-ID: a random version-4 UUID, stored before the first attempt, reused by every retry. */
  requestId: string;
  /** Repeatability-First-Sent: the RFC 1123 time of the first attempt, reused by every retry. */
  firstSent: string;
  /** When the current attempt was claimed; a claim older than the stale limit belongs to a crashed instance. */
  claimedAt: string;
  attempts: number;
  /** A start request is out (or its sender died): its outcome, and so the recordingId, is not known yet. */
  inFlight: boolean;
  /**
   * The last attempt failed in a way that leaves it unknown whether ACS started a recording (a timeout, a 5xx):
   * the next attempt must be a retry of the same logical start, so that ACS answers with that recording.
   */
  uncertain: boolean;
  /** What asked for it: `api` (the application) or the event type. */
  trigger: string;
}

export interface CallRecord {
  version: 2;
  /** The id the call is known by (the record's key): its serverCallId, or the callConnectionId it was started by. */
  locator: CallLocator;
  /** Known when a CallConnected said; null otherwise. */
  callConnectionId: string | null;
  /** Learnt only from ACS's answer to this app's start, never from a callback. */
  recordingId: string | null;
  state: RecordingState;
  start: StartAttempt | null;
  /** A stop arrived while the start was unresolved: when the start resolves, that recording is stopped. */
  stopRequested: { at: string; trigger: string } | null;
  dialect: RecordingApiDialect;
  createdAt: string;
  updatedAt: string;
  /** Why the last change happened. */
  reason: string;
  /** The latest changes, newest last (bounded: a flood of callbacks cannot grow the blob). */
  history: Array<{ state: RecordingState; at: string; reason: string }>;
}

export const MAX_HISTORY = 50;

/** What the API returns for a call. `serverCallId` is the id the call is known by. */
export interface RecordingView {
  serverCallId: string;
  recordingId: string | null;
  state: RecordingState;
  updatedAt: string;
}

export function viewOf(record: CallRecord): RecordingView {
  return {
    serverCallId: record.locator.id,
    recordingId: record.recordingId,
    state: record.state,
    updatedAt: record.updatedAt,
  };
}

/** The record with its state, reason and history moved on. */
export function withChange(record: CallRecord, state: RecordingState, reason: string, now: Date): CallRecord {
  const at = now.toISOString();
  const history = [...record.history, { state, at, reason }].slice(-MAX_HISTORY);
  return { ...record, state, reason, updatedAt: at, history };
}

/**
 * A stored record in either layout: version 2, or the first version's `{serverCallId, recordingId, state, dialect,
 * createdAt, updatedAt, reason, history}` (calls started before an upgrade must still be stoppable). A first-version
 * record in `starting` is taken as an uncertain start that a retry resolves.
 */
export function callRecordFromJson(value: unknown): CallRecord {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (v.version === 2) return v as unknown as CallRecord;
  const serverCallId = typeof v.serverCallId === 'string' ? v.serverCallId : '';
  const updatedAt = typeof v.updatedAt === 'string' ? v.updatedAt : new Date(0).toISOString();
  const state = isState(v.state) ? v.state : 'failed';
  const history = Array.isArray(v.history) ? (v.history as CallRecord['history']).slice(-MAX_HISTORY) : [];
  return {
    version: 2,
    locator: { kind: 'serverCallId', id: serverCallId },
    callConnectionId: null,
    recordingId: typeof v.recordingId === 'string' ? v.recordingId : null,
    state,
    start: null,
    stopRequested: null,
    dialect: v.dialect === 'conversations' ? 'conversations' : 'calling',
    createdAt: typeof v.createdAt === 'string' ? v.createdAt : updatedAt,
    updatedAt,
    reason: typeof v.reason === 'string' ? v.reason : 'upgraded',
    history,
  };
}

function isState(value: unknown): value is RecordingState {
  return value === 'starting' || value === 'active' || value === 'paused' || value === 'stopped' || value === 'failed';
}
