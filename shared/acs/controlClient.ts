import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { request } from 'undici';
import type { AcsSettings, RecordingOptions } from '../config';
import { BadInputError, NotFoundError, PermanentError, RetryableError } from '../errors';
import { createAcsAuthenticator, type AcsAuthenticator } from './auth';

/** What ACS reports; GA has no separate paused state on the wire (SPEC section 2). */
export type AcsRecordingState = 'active' | 'inactive' | 'unknown';

export interface StartRecordingInput {
  serverCallId: string;
  recording: RecordingOptions;
  recordingStateCallbackUri?: string;
  operationContext?: string;
}

/** `alreadyInProgress`: ACS answered 8553; recordingId is null because ACS does not say which recording. */
export type StartRecordingResult =
  { kind: 'started'; recordingId: string; state: AcsRecordingState } | { kind: 'alreadyInProgress'; recordingId: null };

export interface RecordingControlClient {
  readonly dialect: AcsSettings['dialect'];
  start(input: StartRecordingInput): Promise<StartRecordingResult>;
  state(serverCallId: string, recordingId: string): Promise<AcsRecordingState>;
  pause(serverCallId: string, recordingId: string): Promise<void>;
  resume(serverCallId: string, recordingId: string): Promise<void>;
  stop(serverCallId: string, recordingId: string): Promise<void>;
}

export interface ControlClientOptions {
  /** For Entra mode; default DefaultAzureCredential. */
  credential?: TokenCredential;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

/** ACS error code for "Recording is already in progress"; it may come with any HTTP status. */
export const RECORDING_ALREADY_IN_PROGRESS = '8553';

/**
 * A deterministic UUID (v5 layout, SHA-256 based) per logical start, so that a retry of the same start reuses the
 * same Repeatability-Request-ID whatever instance sends it.
 */
export function repeatabilityIdFor(serverCallId: string): string {
  const b = createHash('sha256').update(`start-recording:${serverCallId}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Reads `{"error":{code,message}}` (GA) or `{code,message}` (2021) leniently; never throws. */
export function parseAcsError(text: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object') return {};
    const inner = (parsed as { error?: unknown }).error;
    const source = (inner !== null && typeof inner === 'object' ? inner : parsed) as Record<string, unknown>;
    const code = source.code;
    const message = source.message;
    return {
      ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
      ...(typeof message === 'string' ? { message: message.slice(0, 300) } : {}),
    };
  } catch {
    return {};
  }
}

function parseState(value: unknown): AcsRecordingState {
  const s = typeof value === 'string' ? value.toLowerCase() : '';
  return s === 'active' || s === 'inactive' ? s : 'unknown';
}

interface AcsResponse {
  status: number;
  body: Record<string, unknown>;
  error: { code?: string; message?: string };
}

export function createControlClient(settings: AcsSettings, options: ControlClientOptions = {}): RecordingControlClient {
  const auth: AcsAuthenticator = createAcsAuthenticator(settings, options.credential);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const endpoint = settings.endpoint;
  const ga = settings.dialect === 'calling';
  const q = `?api-version=${encodeURIComponent(settings.apiVersion)}`;

  async function send(
    what: string,
    method: 'GET' | 'POST' | 'DELETE',
    pathAndQuery: string,
    json?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<AcsResponse> {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const url = new URL(pathAndQuery, endpoint);
    const signed = await auth.headers(method, pathAndQuery, url.host, body);
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...extraHeaders,
          ...signed,
        },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      // NOTE: only the error name: undici messages can hold the URL, never a key, but keep logs minimal anyway.
      throw new RetryableError('AcsUnreachable', `${what}: ACS did not answer (${(error as Error).name})`, {
        cause: error,
      });
    }
    let parsed: Record<string, unknown> = {};
    try {
      const value = text ? (JSON.parse(text) as unknown) : {};
      if (value !== null && typeof value === 'object') parsed = value as Record<string, unknown>;
    } catch {
      /* non-JSON bodies are classified by status below */
    }
    return { status, body: parsed, error: status >= 400 ? parseAcsError(text) : {} };
  }

  function fail(what: string, r: AcsResponse): never {
    const detail = `${what}: ACS answered ${r.status}${r.error.code ? ` code ${r.error.code}` : ''}${
      r.error.message ? ` (${r.error.message})` : ''
    }`;
    if (r.status >= 500 || r.status === 429 || r.status === 408) throw new RetryableError('AcsUnavailable', detail);
    if (r.status === 404) throw new NotFoundError(detail, 'AcsNotFound');
    if (r.status === 400) throw new BadInputError(detail, undefined, 'AcsBadRequest');
    throw new PermanentError('AcsRejected', detail);
  }

  const rec = (serverCallId: string, recordingId: string): string =>
    ga
      ? `/calling/recordings/${encodeURIComponent(recordingId)}`
      : `/conversations/${encodeURIComponent(serverCallId)}/recordings/${encodeURIComponent(recordingId)}`;

  return {
    dialect: settings.dialect,

    async start(input) {
      const what = `start recording of call ${input.serverCallId}`;
      const r = ga
        ? await send(
            what,
            'POST',
            `/calling/recordings${q}`,
            {
              callLocator: { kind: 'serverCallLocator', serverCallId: input.serverCallId },
              ...(input.recordingStateCallbackUri
                ? { recordingStateCallbackUri: input.recordingStateCallbackUri }
                : {}),
              recordingContentType: input.recording.contentType,
              recordingChannelType: input.recording.channelType,
              recordingFormatType: input.recording.formatType,
              ...(input.recording.pauseOnStart ? { pauseOnStart: true } : {}),
            },
            {
              'Repeatability-Request-ID': repeatabilityIdFor(input.serverCallId),
              'Repeatability-First-Sent': new Date().toUTCString(),
            },
          )
        : await send(what, 'POST', `/conversations/${encodeURIComponent(input.serverCallId)}/Recordings${q}`, {
            operationContext: input.operationContext ?? '',
            ...(input.recordingStateCallbackUri ? { recordingStateCallbackUri: input.recordingStateCallbackUri } : {}),
          });
      if (r.error.code === RECORDING_ALREADY_IN_PROGRESS) return { kind: 'alreadyInProgress', recordingId: null };
      if (r.status >= 400) fail(what, r);
      const recordingId = r.body.recordingId;
      if (typeof recordingId !== 'string' || recordingId === '') {
        throw new RetryableError('AcsBadResponse', `${what}: ACS answered without a recordingId`);
      }
      return { kind: 'started', recordingId, state: parseState(r.body.recordingState ?? 'active') };
    },

    async state(serverCallId, recordingId) {
      const what = `state of recording of call ${serverCallId}`;
      const r = await send(what, 'GET', `${rec(serverCallId, recordingId)}${q}`);
      if (r.status >= 400) fail(what, r);
      return parseState(r.body.recordingState);
    },

    async pause(serverCallId, recordingId) {
      const what = `pause recording of call ${serverCallId}`;
      const path = ga ? `${rec(serverCallId, recordingId)}:pause${q}` : `${rec(serverCallId, recordingId)}/Pause${q}`;
      const r = await send(what, 'POST', path, ga ? undefined : { operationContext: '' });
      if (r.status >= 400) fail(what, r);
    },

    async resume(serverCallId, recordingId) {
      const what = `resume recording of call ${serverCallId}`;
      const path = ga ? `${rec(serverCallId, recordingId)}:resume${q}` : `${rec(serverCallId, recordingId)}/Resume${q}`;
      const r = await send(what, 'POST', path, ga ? undefined : { operationContext: '' });
      if (r.status >= 400) fail(what, r);
    },

    async stop(serverCallId, recordingId) {
      const what = `stop recording of call ${serverCallId}`;
      const r = await send(
        what,
        'DELETE',
        `${rec(serverCallId, recordingId)}${q}`,
        ga ? undefined : { operationContext: '' },
      );
      if (r.status >= 400) fail(what, r);
    },
  };
}
