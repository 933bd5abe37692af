import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator } from './emulator';
import { gaError, previewError, sendJson } from './httpHelpers';
import { newRecordingId, newServerCallId } from './ids';
import { eventEnvelope } from './recordingFiles';
import type { EmulatedRecording, RecordingFilesSpec, SimulatedCall } from './types';

/**
 * The recording control API in both dialects (SPEC section 2), the calls it records, and the events a call emits
 * (SPEC section 4).
 */

const GA_START = /^\/calling\/recordings$/;
const GA_RECORDING = /^\/calling\/recordings\/([^/:]+)(:pause|:resume)?$/;
const PREVIEW_START = /^\/conversations\/([^/]+)\/recordings$/i;
const PREVIEW_RECORDING = /^\/conversations\/([^/]+)\/recordings\/([^/]+?)(\/pause|\/resume)?$/i;

interface CallState extends SimulatedCall {
  ended: boolean;
}

interface StoredResponse {
  status: number;
  body: unknown;
}

type ControlFault = { status: number; code?: string; message?: string; retryAfterSeconds?: number; remaining: number };

export class ControlApi {
  readonly recordings = new Map<string, EmulatedRecording>();
  readonly calls = new Map<string, CallState>();
  private readonly repeatability = new Map<string, StoredResponse>();
  private fault: ControlFault | undefined;

  constructor(private readonly emulator: Emulator) {}

  setFault(fault: {
    status: number;
    code?: string;
    message?: string;
    times?: number;
    retryAfterSeconds?: number;
  }): void {
    this.fault = { ...fault, remaining: fault.times ?? 1 };
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    pathAndQuery: string,
    body: Buffer,
  ): Promise<void> {
    const url = new URL(pathAndQuery, 'http://emulator');
    const path = url.pathname;
    const preview = path.toLowerCase().startsWith('/conversations/');
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}): void =>
      sendJson(res, status, preview ? previewError(code, message) : gaError(code, message), headers);
    if (!preview && !path.startsWith('/calling/recordings')) return fail(404, 'NotFound', `No route for ${path}.`);
    if (this.fault) {
      const fault = this.fault;
      if (--fault.remaining <= 0) this.fault = undefined;
      return fail(
        fault.status,
        fault.code ?? `Status${fault.status}`,
        fault.message ?? `Injected fault: status ${fault.status}.`,
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
      );
    }
    let json: Record<string, unknown> = {};
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return fail(400, 'BadRequest', 'The request body is not valid JSON.');
      }
    }
    if (preview) return this.handlePreview(res, method, path, json, fail);
    if (!url.searchParams.get('api-version')) {
      return fail(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (GA_START.test(path)) {
      if (method !== 'POST') return fail(405, 'MethodNotAllowed', method);
      const requestId = headerOf(req, 'repeatability-request-id');
      if (requestId) {
        const previous = this.repeatability.get(requestId);
        if (previous) return sendJson(res, previous.status, previous.body, { 'repeatability-result': 'accepted' });
      }
      const result = this.startGa(json);
      if (requestId && result.status < 500) this.repeatability.set(requestId, result);
      return sendJson(res, result.status, result.body, requestId ? { 'repeatability-result': 'accepted' } : {});
    }
    const match = GA_RECORDING.exec(path);
    if (!match) return fail(404, 'NotFound', `No route for ${path}.`);
    const recording = this.recordings.get(decodeURIComponent(match[1]!));
    if (!recording || recording.state === 'stopped') return fail(404, '8522', 'Recording not found.');
    const action = match[2];
    if (!action && method === 'GET') return sendJson(res, 200, gaState(recording));
    if (!action && method === 'DELETE') {
      await this.stopRecording(recording);
      res.writeHead(204);
      res.end();
      return;
    }
    if (action && method === 'POST') {
      this.setPaused(recording, action === ':pause');
      res.writeHead(202, { 'content-length': '0' });
      res.end();
      return;
    }
    return fail(405, 'MethodNotAllowed', method);
  }

  private startGa(json: Record<string, unknown>): StoredResponse {
    const locator = (json.callLocator ?? {}) as Record<string, unknown>;
    const byConnection =
      typeof json.callConnectionId === 'string'
        ? [...this.calls.values()].find((c) => c.legs.includes(json.callConnectionId as string))?.serverCallId
        : undefined;
    const serverCallId = typeof locator.serverCallId === 'string' ? locator.serverCallId : (locator.id ?? byConnection);
    if (typeof serverCallId !== 'string' || serverCallId === '') {
      return { status: 400, body: gaError('BadRequest', 'callLocator.serverCallId or callConnectionId is required.') };
    }
    const callback = json.recordingStateCallbackUri;
    const outcome = this.start(serverCallId, 'calling', {
      callback: typeof callback === 'string' ? callback : undefined,
      contentType: json.recordingContentType === 'audio' ? 'audio' : 'audioVideo',
      channelType: json.recordingChannelType === 'unmixed' ? 'unmixed' : 'mixed',
      format:
        json.recordingFormatType === 'mp3' || json.recordingFormatType === 'wav' ? json.recordingFormatType : 'mp4',
      paused: json.pauseOnStart === true,
    });
    if ('error' in outcome) return { status: outcome.status, body: gaError(outcome.code, outcome.error) };
    return { status: 200, body: gaState(outcome) };
  }

  private async handlePreview(
    res: ServerResponse,
    method: string,
    path: string,
    json: Record<string, unknown>,
    fail: (status: number, code: string, message: string) => void,
  ): Promise<void> {
    const start = PREVIEW_START.exec(path);
    if (start) {
      if (method !== 'POST') return fail(405, 'MethodNotAllowed', method);
      const callback = json.recordingStateCallbackUri;
      const outcome = this.start(decodeURIComponent(start[1]!), 'conversations', {
        callback: typeof callback === 'string' ? callback : undefined,
        contentType: 'audioVideo',
        channelType: 'mixed',
        format: 'mp4',
        paused: false,
      });
      if ('error' in outcome) return fail(outcome.status, outcome.code, outcome.error);
      return sendJson(res, 200, { recordingId: outcome.recordingId });
    }
    const match = PREVIEW_RECORDING.exec(path);
    if (!match) return fail(404, 'NotFound', `No route for ${path}.`);
    const recording = this.recordings.get(decodeURIComponent(match[2]!));
    if (!recording || recording.state === 'stopped' || recording.serverCallId !== decodeURIComponent(match[1]!)) {
      return fail(404, '8522', 'Recording not found.');
    }
    const action = match[3]?.toLowerCase();
    if (!action && method === 'GET') {
      return sendJson(res, 200, { recordingState: recording.state === 'active' ? 'active' : 'inactive' });
    }
    if (!action && method === 'DELETE') {
      await this.stopRecording(recording);
      return sendJson(res, 200, undefined);
    }
    if (action && method === 'POST') {
      this.setPaused(recording, action === '/pause');
      return sendJson(res, 200, undefined);
    }
    return fail(405, 'MethodNotAllowed', method);
  }

  private start(
    serverCallId: string,
    dialect: EmulatedRecording['dialect'],
    settings: {
      callback?: string;
      contentType: EmulatedRecording['contentType'];
      channelType: EmulatedRecording['channelType'];
      format: EmulatedRecording['format'];
      paused: boolean;
    },
  ): EmulatedRecording | { status: number; code: string; error: string } {
    const call = this.calls.get(serverCallId) ?? this.registerCall(serverCallId, [], 1);
    if (call.ended) return { status: 404, code: '8522', error: 'The call has ended.' };
    const current = [...this.recordings.values()].find((r) => r.serverCallId === serverCallId && r.state !== 'stopped');
    if (current) {
      current.startRequests++;
      // NOTE: real ACS answers a second start with code 8553 (the status is not reliable); see SPEC section 2.
      return {
        status: 400,
        code: '8553',
        error: 'Recording is already in progress, one recording can be active at one time.',
      };
    }
    const recording: EmulatedRecording = {
      recordingId: newRecordingId(),
      serverCallId,
      dialect,
      state: settings.paused ? 'paused' : 'active',
      startRequests: 1,
      ...(settings.callback ? { recordingStateCallbackUri: settings.callback } : {}),
      contentType: settings.contentType,
      channelType: settings.channelType,
      format: settings.format,
      startedAt: new Date().toISOString(),
      pauseResumeIntervals: settings.paused ? [{ startTime: new Date().toISOString() }] : [],
    };
    this.recordings.set(recording.recordingId, recording);
    this.emulator.log(`recording ${recording.recordingId} started for call ${serverCallId}`);
    this.stateCallback(recording);
    return recording;
  }

  private setPaused(recording: EmulatedRecording, paused: boolean): void {
    const next = paused ? 'paused' : 'active';
    if (recording.state === next) return;
    recording.state = next;
    const now = new Date().toISOString();
    if (paused) recording.pauseResumeIntervals.push({ startTime: now });
    else closePause(recording, now);
    this.stateCallback(recording);
  }

  private async stopRecording(recording: EmulatedRecording): Promise<void> {
    recording.state = 'stopped';
    recording.stoppedAt = new Date().toISOString();
    closePause(recording, recording.stoppedAt);
    this.stateCallback(recording);
    const call = this.calls.get(recording.serverCallId);
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
    const maxChunk = this.emulator.options.maxChunkBytes;
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
    const files = await this.emulator.createRecordingFiles(spec);
    recording.files = files;
    const schema = this.emulator.options.eventSchema ?? 'EventGrid';
    for (const url of this.emulator.options.webhooks?.recordingFiles ?? []) {
      this.emulator.events.deliver(
        url,
        this.emulator.recordingFileStatusEvent(files, { schema }) as Record<string, unknown>,
        schema,
      );
    }
  }

  /** Recording state callbacks: a Call Automation style array of one CloudEvent. */
  private stateCallback(recording: EmulatedRecording): void {
    const uri = recording.recordingStateCallbackUri;
    if (!uri) return;
    const state = recording.state === 'active' ? 'active' : 'inactive';
    const data = {
      recordingId: recording.recordingId,
      state,
      startDateTime: recording.startedAt,
      recordingKind: 'AzureCommunicationServices',
      serverCallId: recording.serverCallId,
      correlationId: randomUUID(),
    };
    const type =
      recording.dialect === 'calling'
        ? 'Microsoft.Communication.RecordingStateChanged'
        : 'Microsoft.Communication.CallRecordingStateChange';
    const event = eventEnvelope(type, `calling/recordings/${recording.recordingId}`, data, { schema: 'CloudEvents' });
    this.emulator.events.deliverRaw(
      uri,
      [event],
      { 'content-type': 'application/json' },
      type,
      (event as { id: string }).id,
    );
  }

  registerCall(serverCallId: string, participants: string[], legs: number): CallState {
    const call: CallState = {
      serverCallId,
      callId: randomUUID(),
      participants,
      legs: Array.from({ length: legs }, () => randomUUID()),
      startedAt: new Date().toISOString(),
      ended: false,
    };
    this.calls.set(serverCallId, call);
    return call;
  }

  async startCall(
    opts: { serverCallId?: string; participants?: string[]; legs?: number } = {},
  ): Promise<SimulatedCall> {
    const participants = opts.participants ?? [`8:acs:${randomUUID()}`, `8:acs:${randomUUID()}`];
    const call = this.registerCall(opts.serverCallId ?? newServerCallId(), participants, Math.max(1, opts.legs ?? 1));
    this.emitCallEvents(call, 'started');
    const { ended: _ended, ...simulated } = call;
    return simulated;
  }

  async endCall(serverCallId: string): Promise<void> {
    const call = this.calls.get(serverCallId);
    if (!call) throw new Error(`the emulator knows no call ${serverCallId}`);
    if (call.ended) return;
    call.ended = true;
    this.emitCallEvents(call, 'ended');
    for (const recording of this.recordings.values()) {
      if (recording.serverCallId === serverCallId && recording.state !== 'stopped') await this.stopRecording(recording);
    }
  }

  private emitCallEvents(call: CallState, moment: 'started' | 'ended'): void {
    const urls = this.emulator.options.webhooks?.callEvents ?? [];
    const schema = this.emulator.options.eventSchema ?? 'EventGrid';
    const form = this.emulator.options.eventForm ?? 'ga';
    const events: object[] = [];
    if (form === '2021') {
      for (const leg of call.legs) {
        const data = {
          ConversationId: call.serverCallId,
          CallLegId: leg,
          CallState: moment === 'started' ? 'Established' : 'Terminated',
        };
        events.push(
          eventEnvelope('Microsoft.Communication.CallLegStateChanged', `callLeg/${leg}/callState`, data, { schema }),
        );
      }
    } else if (schema === 'CloudEvents') {
      for (const leg of call.legs) {
        const type =
          moment === 'started' ? 'Microsoft.Communication.CallConnected' : 'Microsoft.Communication.CallDisconnected';
        const data = { callConnectionId: leg, serverCallId: call.serverCallId, correlationId: call.callId };
        events.push(eventEnvelope(type, `calling/callConnections/${leg}`, data, { schema }));
      }
    } else {
      const starter = call.participants[0] ?? `8:acs:${randomUUID()}`;
      const data = {
        startedBy: {
          communicationIdentifier: { rawId: starter, communicationUser: { id: starter } },
          role: 'Attendee',
        },
        serverCallId: call.serverCallId,
        group: { id: call.callId },
        isTwoParty: call.participants.length === 2,
        correlationId: call.callId,
        isRoomsCall: false,
        ...(moment === 'ended'
          ? {
              endedBy: {
                communicationIdentifier: { rawId: starter, communicationUser: { id: starter } },
                role: 'Attendee',
              },
              reason: { code: 0, subCode: 0 },
              callDurationInSeconds: (Date.now() - Date.parse(call.startedAt)) / 1000,
            }
          : {}),
      };
      const type = moment === 'started' ? 'Microsoft.Communication.CallStarted' : 'Microsoft.Communication.CallEnded';
      events.push(eventEnvelope(type, `call/${call.callId}/startedBy/${starter}`, data, { schema }));
    }
    for (const url of urls) {
      for (const event of events) this.emulator.events.deliver(url, event as Record<string, unknown>, schema);
    }
  }
}

function closePause(recording: EmulatedRecording, at: string): void {
  const open = recording.pauseResumeIntervals.at(-1);
  if (open && open.duration === undefined) open.duration = Date.parse(at) - Date.parse(open.startTime);
}

function gaState(recording: EmulatedRecording): object {
  return {
    recordingId: recording.recordingId,
    recordingState: recording.state === 'active' ? 'active' : 'inactive',
    recordingKind: 'AzureCommunicationServices',
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
