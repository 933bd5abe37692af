import type { Logger } from './logger';
import { safeText } from './text';

/**
 * The log lines operators alert and chart on. Each is one line `Name {json}`: the event name, a space, and a flat
 * JSON object of the fields below. In Application Insights they are `traces` rows whose `message` is exactly that
 * line, so a query reads them with
 *   traces | where message startswith "ChunkArchived {" | extend e = parse_json(substring(message, indexof(message, "{")))
 * The queries in infra/monitoring/*.kql are checked against this catalogue and against real lines the app logs in
 * tests: renaming a field here breaks those tests, not a production alert.
 *
 * Values are strings, numbers, booleans or null. Text from input is truncated and stripped of control characters;
 * ids of calls are shortened; nothing secret (keys, tokens, signed URLs) is ever a field.
 */
export interface TelemetryEvents {
  /** archiveRecording answered a delivery: the intent is recorded and the chunk copies are queued. */
  ArchiveAcknowledged: {
    callId: string;
    recordingKey: string;
    eventId: string;
    status: string;
    chunksKnown: number;
    chunksEnqueued: number;
    ackMs: number;
  };
  /** A RecordingFileStatusUpdated event that can never be archived was kept under _rejected/. */
  ArchiveRejected: { eventId: string; failureCode: string; reason: string; rejectedBlob: string };
  /** One chunk (content and metadata) is archived and verified. */
  ChunkArchived: {
    callId: string;
    recordingKey: string;
    index: number;
    bytes: number;
    downloadedBytes: number;
    seconds: number;
    mbps: number;
    attempts: number;
    dequeueCount: number;
    alreadyArchived: boolean;
  };
  /** A copy failed transiently; the queue brings the message again. */
  ChunkRetrying: {
    callId: string;
    recordingKey: string;
    index: number;
    dequeueCount: number;
    maxDequeueCount: number;
    failureCode: string;
    error: string;
    deadline: string;
  };
  /** The last allowed attempt failed: the message goes to the poison queue; the chunk stays pending for the sweeper. */
  ChunkPoisoned: {
    callId: string;
    recordingKey: string;
    index: number;
    dequeueCount: number;
    failureCode: string;
    error: string;
    deadline: string;
  };
  /** A chunk can never be archived (expired at the source, refused location, deadline passed). */
  ChunkFailed: {
    callId: string;
    recordingKey: string;
    index: number;
    status: string;
    failureCode: string;
    error: string;
  };
  /** Every chunk of the recording is archived and the set is whole. */
  RecordingComplete: { callId: string; recordingKey: string; chunks: number; bytes: number; archiveSeconds: number };
  /** The recording can never be complete. */
  RecordingFailed: { callId: string; recordingKey: string; failureCode: string; deadline: string; detail: string };
  /** An archive is not complete and its source files expire soon (logged by every sweep until done or failed). */
  ArchiveNearDeadline: {
    callId: string;
    recordingKey: string;
    status: string;
    deadline: string;
    hoursLeft: number;
    chunksLeft: string;
  };
  /** One run of the sweeper. */
  SweepCompleted: {
    checked: number;
    pending: number;
    /** The earliest deadline among the recordings still pending, and the hours left to it (null when none). */
    oldestDeadline: string | null;
    minHoursLeft: number | null;
    nearDeadline: number;
    enqueued: number;
    markedFailed: number;
    errors: number;
    budgetExhausted: boolean;
    ms: number;
  };
  /** ACS answered 401 or 403: a key, a role assignment or a clock is wrong. */
  AcsAccessDenied: { operation: string; status: number; failureCode: string; target: string };
  /** A recording was started (or found already in progress) for a call. */
  RecordingStarted: { serverCallId: string; recordingId: string; state: string; trigger: string };
  /** A recording was stopped. */
  RecordingStopped: { serverCallId: string; recordingId: string; trigger: string };
  /** Starting a recording failed. */
  RecordingStartFailed: { serverCallId: string; failureCode: string; retryable: boolean; error: string };
  /** A request to an HTTP endpoint was refused (bad signature, foreign topic, bad input). */
  RequestRejected: { endpoint: string; status: number; failureCode: string; reason: string };
  /** A sender check is off for lack of a setting (logged once per process, when the first event arrives). */
  SenderCheckOff: { check: string; setting: string; effect: string };
}

export type TelemetryName = keyof TelemetryEvents;
type Level = 'info' | 'warn' | 'error';

/** The fields of each event, for the queries' tests. */
export const TELEMETRY_FIELDS: { [K in TelemetryName]: readonly (keyof TelemetryEvents[K])[] } = {
  ArchiveAcknowledged: ['callId', 'recordingKey', 'eventId', 'status', 'chunksKnown', 'chunksEnqueued', 'ackMs'],
  ArchiveRejected: ['eventId', 'failureCode', 'reason', 'rejectedBlob'],
  ChunkArchived: [
    'callId',
    'recordingKey',
    'index',
    'bytes',
    'downloadedBytes',
    'seconds',
    'mbps',
    'attempts',
    'dequeueCount',
    'alreadyArchived',
  ],
  ChunkRetrying: [
    'callId',
    'recordingKey',
    'index',
    'dequeueCount',
    'maxDequeueCount',
    'failureCode',
    'error',
    'deadline',
  ],
  ChunkPoisoned: ['callId', 'recordingKey', 'index', 'dequeueCount', 'failureCode', 'error', 'deadline'],
  ChunkFailed: ['callId', 'recordingKey', 'index', 'status', 'failureCode', 'error'],
  RecordingComplete: ['callId', 'recordingKey', 'chunks', 'bytes', 'archiveSeconds'],
  RecordingFailed: ['callId', 'recordingKey', 'failureCode', 'deadline', 'detail'],
  ArchiveNearDeadline: ['callId', 'recordingKey', 'status', 'deadline', 'hoursLeft', 'chunksLeft'],
  SweepCompleted: [
    'checked',
    'pending',
    'oldestDeadline',
    'minHoursLeft',
    'nearDeadline',
    'enqueued',
    'markedFailed',
    'errors',
    'budgetExhausted',
    'ms',
  ],
  AcsAccessDenied: ['operation', 'status', 'failureCode', 'target'],
  RecordingStarted: ['serverCallId', 'recordingId', 'state', 'trigger'],
  RecordingStopped: ['serverCallId', 'recordingId', 'trigger'],
  RecordingStartFailed: ['serverCallId', 'failureCode', 'retryable', 'error'],
  RequestRejected: ['endpoint', 'status', 'failureCode', 'reason'],
  SenderCheckOff: ['check', 'setting', 'effect'],
};

/** Writes one telemetry line `Name {json}` at the given level. */
export function logEvent<K extends TelemetryName>(
  log: Logger,
  level: Level,
  name: K,
  fields: TelemetryEvents[K],
): void {
  const safe: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
    safe[key] =
      typeof value === 'number' || typeof value === 'boolean' || value === null ? value : safeText(value, 300);
  }
  log[level](`${name} ${JSON.stringify(safe)}`);
}

/** The event in a log line (the line may carry a host's prefix before the name), or null. */
export function parseEventLine(line: string): { name: TelemetryName; fields: Record<string, unknown> } | null {
  for (const name of Object.keys(TELEMETRY_FIELDS) as TelemetryName[]) {
    const at = line.indexOf(`${name} {`);
    if (at < 0 || (at > 0 && line[at - 1] !== ' ')) continue;
    try {
      const fields = JSON.parse(line.slice(at + name.length + 1)) as unknown;
      if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
        return { name, fields: fields as Record<string, unknown> };
      }
    } catch {
      return null;
    }
  }
  return null;
}
