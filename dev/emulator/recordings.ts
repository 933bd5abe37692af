import { randomUUID } from 'node:crypto';
import { recordingStateChangedEvent, startRecordingFailedEvent } from './callbackShapes';
import type { EventSink } from './eventDelivery';
import { recordingFileStatusEvent } from './eventShapes';
import { newRecordingId } from './ids';
import { writeCustomerFiles } from './customerStorage';
import { createRecordingFiles } from './recordingFiles';
import type { EmulatedRecording, RecordingFilesSpec } from './records';
import type { EmulatorState } from './state';

/**
 * The recording lifecycle both dialects share: start, pause, resume, stop, the state callbacks each change sends, and
 * the files (and RecordingFileStatusUpdated) a stopped recording leaves behind.
 */

export interface StartSettings {
  dialect: EmulatedRecording['dialect'];
  callback?: string;
  callConnectionId?: string;
  externalStorage?: EmulatedRecording['externalStorage'];
  contentType: EmulatedRecording['contentType'];
  channelType: EmulatedRecording['channelType'];
  format: EmulatedRecording['format'];
  paused: boolean;
}

export type StartOutcome =
  | { recording: EmulatedRecording; status: 200 | 202; recordingState: 'active' | 'inactive' }
  | { status: number; code: string; message: string };

export function startRecording(
  state: EmulatorState,
  sink: EventSink,
  serverCallId: string,
  settings: StartSettings,
): StartOutcome {
  // NOTE: unlike ACS, a start for a serverCallId the emulator never announced registers that call (so tests need no
  // setup); a call that has ended is refused as ACS refuses it.
  const call = state.calls.get(serverCallId) ?? state.registerCall(serverCallId, [], 1);
  if (call.ended) return { status: 404, code: '8522', message: 'The call has ended.' };
  const current = [...state.recordings.values()].find((r) => r.serverCallId === serverCallId && r.state !== 'stopped');
  if (current) {
    current.startRequests++;
    // NOTE: real ACS answers a second start with code 8553 whatever the status: callers must read the code.
    return {
      status: 400,
      code: '8553',
      message: 'Recording is already in progress, one recording can be active at one time.',
    };
  }
  const answer = settings.dialect === 'calling' ? state.takeStartResponse() : undefined;
  const recordingState = settings.paused ? 'inactive' : (answer?.state ?? 'active');
  const now = new Date().toISOString();
  const recording: EmulatedRecording = {
    recordingId: newRecordingId(),
    serverCallId,
    dialect: settings.dialect,
    state: settings.paused ? 'paused' : recordingState === 'active' ? 'active' : 'starting',
    startRequests: 1,
    ...(settings.callback ? { recordingStateCallbackUri: settings.callback } : {}),
    ...(settings.callConnectionId ? { callConnectionId: settings.callConnectionId } : {}),
    ...(settings.externalStorage ? { externalStorage: settings.externalStorage } : {}),
    contentType: settings.contentType,
    channelType: settings.channelType,
    format: settings.format,
    startedAt: now,
    pauseResumeIntervals: settings.paused ? [{ startTime: now }] : [],
  };
  state.recordings.set(recording.recordingId, recording);
  state.log(`recording ${recording.recordingId} started for call ${serverCallId}`);
  if (recording.state === 'starting') {
    const then = answer?.then ?? 'active';
    const withId = !answer?.failureWithoutRecordingId;
    if (then !== 'stay')
      void state.clock.sleep(answer?.afterMs ?? 0).then(() => finishStart(state, sink, recording, then, withId));
  } else {
    stateCallback(state, sink, recording);
  }
  return { recording, status: answer?.status ?? 200, recordingState };
}

/** What follows a 202 'inactive' start: it becomes active, or StartRecordingFailed (unless stopped meanwhile). */
function finishStart(
  state: EmulatorState,
  sink: EventSink,
  recording: EmulatedRecording,
  then: 'active' | 'failed',
  withRecordingId: boolean,
): void {
  if (recording.state !== 'starting') return;
  if (then === 'active') {
    recording.state = 'active';
    stateCallback(state, sink, recording);
    return;
  }
  recording.state = 'stopped';
  recording.failed = true;
  recording.stoppedAt = new Date().toISOString();
  const uri = recording.recordingStateCallbackUri;
  if (uri) {
    sink.callback(uri, [startRecordingFailedEvent(recording, correlationOf(state, recording), withRecordingId)]);
  }
}

export function setPaused(state: EmulatorState, sink: EventSink, recording: EmulatedRecording, paused: boolean): void {
  const next = paused ? 'paused' : 'active';
  if (recording.state === next) return;
  recording.state = next;
  const now = new Date().toISOString();
  if (paused) recording.pauseResumeIntervals.push({ startTime: now });
  else closePause(recording, now);
  stateCallback(state, sink, recording);
}

export async function stopRecording(
  state: EmulatorState,
  sink: EventSink,
  recording: EmulatedRecording,
): Promise<void> {
  recording.state = 'stopped';
  recording.stoppedAt = new Date().toISOString();
  closePause(recording, recording.stoppedAt);
  stateCallback(state, sink, recording);
  const call = state.calls.get(recording.serverCallId);
  const spec: RecordingFilesSpec = {
    callId: call?.callId ?? randomUUID(),
    serverCallId: recording.serverCallId,
    recordingId: recording.recordingId,
    format: recording.format,
    recordingStartTime: recording.startedAt,
    channelType: recording.channelType,
    pauseResumeIntervals: recording.pauseResumeIntervals.map((p) => ({
      startTime: p.startTime,
      duration: p.duration ?? 0,
    })),
    ...(call && call.participants.length > 0 ? { participants: call.participants } : {}),
  };
  const maxChunk = state.settings.maxChunkBytes;
  const elapsedMs = Date.parse(recording.stoppedAt) - Date.parse(recording.startedAt);
  // NOTE: a simulated recording "weighs" 16 KiB per second recorded, at least one real media file; when that is
  // over maxChunkBytes it is split into synthetic chunks the way ACS ends a chunk on its size limit.
  const simulatedBytes = Math.max(64 * 1024, Math.round(elapsedMs * 16.384));
  if (maxChunk && simulatedBytes > maxChunk) {
    const count = Math.ceil(simulatedBytes / maxChunk);
    spec.chunks = Array.from({ length: count }, (_, i) => ({
      size: i === count - 1 ? simulatedBytes - maxChunk * (count - 1) : maxChunk,
      media: 'synthetic' as const,
    }));
  }
  const files = await createRecordingFiles(state, spec);
  recording.files = files;
  const { eventSchema: schema, eventForm, resourceId: source } = state.settings;
  // A recording into the customer's own storage is announced in the bring-your-own-storage form, once its files are
  // in that container (Learn: the event is the "notification on successful export").
  const byos = recording.externalStorage?.recordingStorageKind === 'azureBlobStorage';
  const form = byos ? 'byos' : eventForm;
  const destination = recording.externalStorage?.recordingDestinationContainerUrl;
  if (byos && destination && state.settings.customerStorageConnectionString) {
    try {
      files.customerBlobs = await writeCustomerFiles(state, files, destination);
    } catch (error) {
      state.log(`recording ${recording.recordingId}: not exported to ${destination}: ${(error as Error).message}`);
    }
  }
  for (const url of state.settings.webhooks.recordingFiles) {
    sink.publish(url, recordingFileStatusEvent(files, { schema, form, source }), schema);
  }
}

/** Stops every recording of a call that is not stopped yet (the call ended). */
export async function stopRecordingsOf(state: EmulatorState, sink: EventSink, serverCallId: string): Promise<void> {
  for (const recording of state.recordings.values()) {
    if (recording.serverCallId === serverCallId && recording.state !== 'stopped')
      await stopRecording(state, sink, recording);
  }
}

function stateCallback(state: EmulatorState, sink: EventSink, recording: EmulatedRecording): void {
  const uri = recording.recordingStateCallbackUri;
  if (uri) sink.callback(uri, [recordingStateChangedEvent(recording, correlationOf(state, recording))]);
}

function correlationOf(state: EmulatorState, recording: EmulatedRecording): string {
  return state.calls.get(recording.serverCallId)?.callId ?? randomUUID();
}

function closePause(recording: EmulatedRecording, at: string): void {
  const open = recording.pauseResumeIntervals.at(-1);
  if (open && open.duration === undefined) open.duration = Date.parse(at) - Date.parse(open.startTime);
}
