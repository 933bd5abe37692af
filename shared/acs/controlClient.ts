import type { TokenCredential } from '@azure/core-auth';
import { request } from 'undici';
import type { AcsSettings, RecordingOptions } from '../config';
import { PermanentError, RetryableError } from '../errors';
import { safeText, shortId } from '../text';
import { createAcsAuthenticator, type AcsAuthenticator } from './auth';
import { AcsNotFoundError, AcsUnavailableError } from './controlErrors';
import { AccessDeniedError, header, retryAfter } from './download';

export { AcsNotFoundError, AcsUnavailableError } from './controlErrors';

/** What ACS reports; GA has no separate paused state on the wire (`inactive` is paused or not yet recording). */
export type AcsRecordingState = 'active' | 'inactive' | 'unknown';

/**
 * Which call to record. GA starts take either a server call locator or, for a call this app's Call Automation
 * connection is in, its callConnectionId ("Only one of callLocator or callConnectionId to be used",
 * StartCallRecordingRequest in Azure/azure-rest-api-specs
 * specification/communication/data-plane/CallAutomation/stable/2025-06-15/communicationservicescallautomation.json).
 */
export type CallLocator = { kind: 'serverCallId'; id: string } | { kind: 'callConnectionId'; id: string };

/** The repeatability headers of one logical start (made once, stored before the first attempt, reused by retries). */
export interface Repeatability {
  /** A random version-4 UUID. */
  requestId: string;
  /** RFC 1123 (IMF-fixdate) time of the first attempt. */
  firstSent: string;
}

export interface StartRecordingInput {
  locator: CallLocator;
  recording: RecordingOptions;
  recordingStateCallbackUri?: string;
  /** 2021 dialect only (the GA start request has no operationContext). */
  operationContext?: string;
  /** GA only: sent as Repeatability-Request-ID / Repeatability-First-Sent. */
  repeatability?: Repeatability;
}

/** `alreadyInProgress`: ACS answered 8553; recordingId is null because ACS does not say which recording. */
export type StartRecordingResult =
  | { kind: 'started'; recordingId: string; state: AcsRecordingState; recordingKind: string | null }
  | { kind: 'alreadyInProgress'; recordingId: null };

export interface RecordingControlClient {
  readonly dialect: AcsSettings['dialect'];
  start(input: StartRecordingInput): Promise<StartRecordingResult>;
  state(callId: string, recordingId: string): Promise<AcsRecordingState>;
  pause(callId: string, recordingId: string): Promise<void>;
  resume(callId: string, recordingId: string): Promise<void>;
  stop(callId: string, recordingId: string): Promise<void>;
}

export interface ControlClientOptions {
  /** For Entra mode; default DefaultAzureCredential. */
  credential?: TokenCredential;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

/** ACS error code for "Recording is already in progress"; it may come with any HTTP status. */
const RECORDING_ALREADY_IN_PROGRESS = '8553';

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
      ...(typeof code === 'string' || typeof code === 'number' ? { code: safeText(String(code), 40) } : {}),
      ...(typeof message === 'string' ? { message: safeText(message, 200) } : {}),
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
  retryAfterMs?: number;
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
    // NOTE: signed per attempt (a fresh x-ms-date), never reused across retries.
    const signed = await auth.headers(method, pathAndQuery, url.host, body);
    let status: number;
    let text: string;
    let retryAfterMs: number | undefined;
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
      retryAfterMs = retryAfter(header(response, 'retry-after'));
      text = await response.body.text();
    } catch (error) {
      // NOTE: only the error name: undici messages can hold the URL; keep logs minimal.
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
    return { status, body: parsed, error: status >= 400 ? parseAcsError(text) : {}, retryAfterMs };
  }

  /**
   * Classifies a failed answer. ACS's own error text goes into messages of retryable and permanent errors only (for
   * the operator's log); the function layer never shows those messages to a caller.
   */
  function fail(what: string, r: AcsResponse, options: { repeatable?: boolean; start?: boolean } = {}): never {
    const said = [r.error.code && `code ${r.error.code}`, r.error.message && `(${r.error.message})`]
      .filter(Boolean)
      .join(' ');
    if (r.status === 401 || r.status === 403) throw new AccessDeniedError(r.status, `${what}: ACS`, said);
    const detail = `${what}: ACS answered ${r.status}${said ? ` ${said}` : ''}`;
    if (r.status >= 500 || r.status === 429 || r.status === 408) {
      throw new AcsUnavailableError(r.status, r.error.code ?? null, detail, r.retryAfterMs);
    }
    // NOTE: "Any requests with a first-sent value prior to [5 minutes] ... will return a 412 (Pre-condition failed)":
    // https://learn.microsoft.com/en-us/rest/api/communication/repeatable-requests. The next attempt is a new start.
    if (r.status === 412 && options.repeatable) throw new RetryableError('RepeatabilityExpired', detail);
    if (r.status === 404) {
      throw options.start
        ? new AcsNotFoundError(r.error.code ?? null, `${what}: ACS does not know this call`, 'AcsCallNotFound')
        : new AcsNotFoundError(r.error.code ?? null, `${what}: ACS does not know this recording`, 'AcsNotFound');
    }
    throw new PermanentError(r.status === 400 ? 'AcsBadRequest' : 'AcsRejected', detail);
  }

  const rec = (callId: string, recordingId: string): string =>
    ga
      ? `/calling/recordings/${encodeURIComponent(recordingId)}`
      : `/conversations/${encodeURIComponent(callId)}/recordings/${encodeURIComponent(recordingId)}`;

  return {
    dialect: settings.dialect,

    async start(input) {
      const what = `start recording of call ${shortId(input.locator.id)}`;
      let r: AcsResponse;
      if (ga) {
        const body = {
          ...(input.locator.kind === 'serverCallId'
            ? { callLocator: { kind: 'serverCallLocator', serverCallId: input.locator.id } }
            : { callConnectionId: input.locator.id }),
          ...(input.recordingStateCallbackUri ? { recordingStateCallbackUri: input.recordingStateCallbackUri } : {}),
          recordingContentType: input.recording.contentType,
          recordingChannelType: input.recording.channelType,
          recordingFormatType: input.recording.formatType,
          ...(input.recording.pauseOnStart ? { pauseOnStart: true } : {}),
          // NOTE: the 2025-06-15 REST spec's `externalStorage` (ExternalStorage: recordingStorageKind required,
          // recordingDestinationContainerUrl); the JS SDK names it `recordingStorage` and serializes it as
          // `externalStorage`. The 2024-04-15 example misspells the URL key; the 2025-06-15 one spells it right.
          ...(input.recording.externalStorageUrl
            ? {
                externalStorage: {
                  recordingStorageKind: 'azureBlobStorage',
                  recordingDestinationContainerUrl: input.recording.externalStorageUrl,
                },
              }
            : {}),
        };
        const headers: Record<string, string> = input.repeatability
          ? {
              'Repeatability-Request-ID': input.repeatability.requestId,
              'Repeatability-First-Sent': input.repeatability.firstSent,
            }
          : {};
        r = await send(what, 'POST', `/calling/recordings${q}`, body, headers);
      } else {
        if (input.locator.kind !== 'serverCallId') {
          throw new PermanentError('UnsupportedLocator', `${what}: the 2021 API records by conversationId only`);
        }
        r = await send(what, 'POST', `/conversations/${encodeURIComponent(input.locator.id)}/Recordings${q}`, {
          operationContext: input.operationContext ?? '',
          ...(input.recordingStateCallbackUri ? { recordingStateCallbackUri: input.recordingStateCallbackUri } : {}),
        });
      }
      if (r.error.code === RECORDING_ALREADY_IN_PROGRESS) return { kind: 'alreadyInProgress', recordingId: null };
      if (r.status >= 400) fail(what, r, { repeatable: input.repeatability !== undefined, start: true });
      const recordingId = r.body.recordingId;
      if (typeof recordingId !== 'string' || recordingId === '') {
        throw new RetryableError('AcsBadResponse', `${what}: ACS answered without a recordingId`);
      }
      const kind = r.body.recordingKind;
      return {
        kind: 'started',
        recordingId,
        // NOTE: the 2021 start answers only {recordingId} and records at once; GA says, and may say `inactive`.
        state: ga ? parseState(r.body.recordingState) : 'active',
        recordingKind: typeof kind === 'string' ? kind : null,
      };
    },

    async state(callId, recordingId) {
      const what = `state of recording ${shortId(recordingId)}`;
      const r = await send(what, 'GET', `${rec(callId, recordingId)}${q}`);
      if (r.status >= 400) fail(what, r);
      return parseState(r.body.recordingState);
    },

    async pause(callId, recordingId) {
      const what = `pause recording ${shortId(recordingId)}`;
      const path = ga ? `${rec(callId, recordingId)}:pause${q}` : `${rec(callId, recordingId)}/Pause${q}`;
      const r = await send(what, 'POST', path, ga ? undefined : { operationContext: '' });
      if (r.status >= 400) fail(what, r);
    },

    async resume(callId, recordingId) {
      const what = `resume recording ${shortId(recordingId)}`;
      const path = ga ? `${rec(callId, recordingId)}:resume${q}` : `${rec(callId, recordingId)}/Resume${q}`;
      const r = await send(what, 'POST', path, ga ? undefined : { operationContext: '' });
      if (r.status >= 400) fail(what, r);
    },

    async stop(callId, recordingId) {
      const what = `stop recording ${shortId(recordingId)}`;
      const r = await send(
        what,
        'DELETE',
        `${rec(callId, recordingId)}${q}`,
        ga ? undefined : { operationContext: '' },
      );
      if (r.status >= 400) fail(what, r);
    },
  };
}
