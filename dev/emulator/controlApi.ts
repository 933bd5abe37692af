import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventSink } from './eventDelivery';
import { codeForStatus } from './faults';
import { decodeSegment, gaError, headerValue, previewError, sendEmpty, sendJson } from './httpHelpers';
import type { ControlOperation, EmulatedRecording, RequestLogEntry } from './records';
import { setPaused, startRecording, stopRecording, type StartOutcome } from './recordings';
import { startSettingsFromGaBody, type ParsedStartError } from './startRequest';
import type { EmulatorState, StoredResponse } from './state';

/**
 * The recording control API in both dialects, over the shared state only:
 * GA (`calling`, 2025-06-15 REST spec, Azure/azure-rest-api-specs specification/communication/data-plane/
 * CallAutomation/stable/2025-06-15): `POST /calling/recordings` -> 200/202 `{recordingId, recordingState,
 * recordingKind}`, `GET|DELETE /calling/recordings/{id}`, `POST /calling/recordings/{id}:pause|:resume` -> 202;
 * 2021 preview (`conversations`): `POST /conversations/{id}/Recordings` -> `{recordingId}`, `GET|DELETE
 * /conversations/{id}/recordings/{recordingId}`, `POST .../Pause|Resume` -> 200. Path segments are percent-decoded
 * exactly once.
 */

interface Route {
  operation: ControlOperation;
  dialect: EmulatedRecording['dialect'];
  method: string;
  recordingId?: string;
  conversationId?: string;
}

function route(path: string): Route | undefined {
  const ga = /^\/calling\/recordings(?:\/([^/:]+)(:pause|:resume)?)?$/.exec(path);
  const preview = ga ? null : /^\/conversations\/([^/]+)\/recordings(?:\/([^/]+?)(\/pause|\/resume)?)?$/i.exec(path);
  if (!ga && !preview) return undefined;
  const dialect = ga ? 'calling' : 'conversations';
  const [recordingSegment, action] = ga ? [ga[1], ga[2]] : [preview![2], preview![3]];
  const conversationId = preview ? decodeSegment(preview[1]!) : undefined;
  const recordingId = recordingSegment === undefined ? undefined : decodeSegment(recordingSegment);
  if (preview && conversationId === undefined) return undefined;
  if (recordingSegment !== undefined && recordingId === undefined) return undefined;
  const ids = {
    ...(recordingId !== undefined ? { recordingId } : {}),
    ...(conversationId !== undefined ? { conversationId } : {}),
  };
  if (recordingSegment === undefined) return { operation: 'start', dialect, method: 'POST', ...ids };
  if (action) return { operation: /pause/i.test(action) ? 'pause' : 'resume', dialect, method: 'POST', ...ids };
  return { operation: 'state', dialect, method: 'GET|DELETE', ...ids };
}

export class ControlApi {
  constructor(
    private readonly state: EmulatorState,
    private readonly sink: EventSink,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, body: Buffer): Promise<void> {
    const url = new URL(entry.path, 'http://emulator');
    const found = route(url.pathname);
    const preview = found?.dialect === 'conversations' || url.pathname.toLowerCase().startsWith('/conversations/');
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}): void =>
      sendJson(res, status, preview ? previewError(code, message) : gaError(code, message), headers);
    if (!found) return fail(404, 'NotFound', `No route for ${url.pathname}.`);
    if (found.recordingId !== undefined) entry.recordingId = found.recordingId;
    const serverCallId = found.conversationId ?? this.state.recordings.get(found.recordingId ?? '')?.serverCallId;
    if (serverCallId !== undefined) entry.serverCallId = serverCallId;
    if (!found.method.split('|').includes(entry.method)) return fail(405, 'MethodNotAllowed', entry.method);
    const operation: ControlOperation =
      found.operation === 'state' && entry.method === 'DELETE' ? 'stop' : found.operation;
    if (operation === 'start' && !preview) {
      const named = startedCallOf(body);
      if (named !== undefined) entry.serverCallId = named;
    }
    const fault = this.state.controlFaults.take(operation);
    if (fault) {
      const value = fault.retryAfter ?? fault.retryAfterSeconds?.toString();
      const retryAfter: Record<string, string> = value !== undefined ? { 'retry-after': value } : {};
      if (fault.body !== undefined) return sendJson(res, fault.status, fault.body, retryAfter);
      const message = fault.message ?? `Injected fault: status ${fault.status}.`;
      return fail(fault.status, fault.code ?? codeForStatus(fault.status), message, retryAfter);
    }
    if (!preview && !url.searchParams.get('api-version')) {
      return fail(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    let json: Record<string, unknown> = {};
    try {
      if (body.length > 0) json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return fail(400, 'BadRequest', 'The request body is not valid JSON.');
    }
    if (operation === 'start') return this.start(req, res, entry, found, json);
    const recording = this.state.recordings.get(found.recordingId!);
    const belongs = !preview || recording?.serverCallId === found.conversationId;
    if (!recording || recording.state === 'stopped' || !belongs) {
      // NOTE: what the service answered for a recording it no longer has (recorded live: the 404 of
      // test/fixtures/acs-public/sdk/js-callingserver.stopRecording.404-8522.response.json), for every operation: a
      // recording ends with its call, and its state, pause, resume and stop then answer this.
      return preview
        ? fail(404, '8522', 'Recording not found.')
        : sendJson(res, 404, { error: { code: '8522', message: 'Recording not found.' } });
    }
    if (operation === 'state') {
      const recordingState = recording.state === 'active' ? 'active' : 'inactive';
      if (preview) return sendJson(res, 200, { recordingState });
      return sendJson(res, 200, {
        recordingId: recording.recordingId,
        recordingState,
        recordingKind: 'azureCommunicationServices',
      });
    }
    if (operation === 'stop') await stopRecording(this.state, this.sink, recording);
    else setPaused(this.state, this.sink, recording, operation === 'pause');
    if (preview) return sendJson(res, 200, undefined);
    return sendEmpty(res, operation === 'stop' ? 204 : 202);
  }

  private async start(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RequestLogEntry,
    found: Route,
    json: Record<string, unknown>,
  ): Promise<void> {
    const parsed = found.dialect === 'calling' ? startSettingsFromGaBody(this.state, json) : undefined;
    if (parsed && 'serverCallId' in parsed) entry.serverCallId = parsed.serverCallId;
    // NOTE: a repeated Repeatability-Request-ID gets the answer the first request got (2xx and 4xx alike: those
    // were carried out or refused; a 5xx was not, so it is not kept), without starting anything again.
    const requestId = parsed ? headerValue(req.headers, 'repeatability-request-id') : undefined;
    const repeatability: Record<string, string> = requestId ? { 'repeatability-result': 'accepted' } : {};
    const previous = requestId ? this.state.repeatability.get(requestId) : undefined;
    if (previous) return sendJson(res, previous.status, previous.body, repeatability);
    let answer: StoredResponse;
    if (parsed) {
      answer = gaAnswer(
        'message' in parsed ? parsed : startRecording(this.state, this.sink, parsed.serverCallId, parsed.settings),
      );
    } else {
      const callback = typeof json.recordingStateCallbackUri === 'string' ? json.recordingStateCallbackUri : undefined;
      const outcome = startRecording(this.state, this.sink, found.conversationId!, {
        dialect: 'conversations',
        ...(callback ? { callback } : {}),
        contentType: 'audioVideo',
        channelType: 'mixed',
        format: 'mp4',
        paused: false,
      });
      answer =
        'recording' in outcome
          ? { status: 200, body: { recordingId: outcome.recording.recordingId } }
          : previewAnswer(outcome);
    }
    if (requestId && answer.status < 500) this.state.repeatability.set(requestId, answer);
    if (this.state.startDelayMs > 0) await this.state.clock.sleep(this.state.startDelayMs);
    sendJson(res, answer.status, answer.body, repeatability);
  }
}

/** The serverCallId a GA start body names, read before anything else so that a faulted start is logged with it. */
function startedCallOf(body: Buffer): string | undefined {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { callLocator?: { serverCallId?: unknown } }).callLocator
      ?.serverCallId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function gaAnswer(outcome: StartOutcome | ParsedStartError): StoredResponse {
  if (!('recording' in outcome)) return { status: outcome.status, body: gaError(outcome.code, outcome.message) };
  const { recordingId } = outcome.recording;
  return {
    status: outcome.status,
    body: { recordingId, recordingState: outcome.recordingState, recordingKind: 'azureCommunicationServices' },
  };
}

function previewAnswer(outcome: Extract<StartOutcome, { message: string }>): StoredResponse {
  return { status: outcome.status, body: previewError(outcome.code, outcome.message) };
}
