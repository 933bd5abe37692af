import type { StartSettings } from './recordings';
import type { EmulatorState } from './state';

/**
 * Reads a GA StartRecording body (2025-06-15 `StartCallRecordingRequest`): the call by `callLocator`
 * (`{kind: "serverCallLocator", serverCallId}`) or by `callConnectionId` ("Only one of callLocator or
 * callConnectionId to be used"), and the content / channel / format, defaulting to audioVideo / mixed / mp4.
 * Combinations outside Learn's "Call Recording" table (mixed audioVideo mp4, mixed audio mp3 or wav, unmixed audio
 * wav) are refused, as the service refuses them. An `externalStorage` (bring your own storage) is checked against the
 * spec's ExternalStorage and kept with the recording.
 */

export interface ParsedStartError {
  status: number;
  code: string;
  message: string;
}

export type ParsedStart = { serverCallId: string; settings: StartSettings } | ParsedStartError;

const ALLOWED = new Set(['audioVideo/mixed/mp4', 'audio/mixed/mp3', 'audio/mixed/wav', 'audio/unmixed/wav']);

/** The REST spec's RecordingStorageKind values (modelAsString: compared without case). */
const STORAGE_KINDS = ['azureCommunicationServices', 'azureBlobStorage'] as const;

/**
 * The 2025-06-15 REST spec's ExternalStorage: `recordingStorageKind` required (one of STORAGE_KINDS),
 * `recordingDestinationContainerUrl` optional, an absolute URI when given. undefined: none asked; a string: why the
 * start is refused.
 */
function externalStorageOf(value: unknown): StartSettings['externalStorage'] | string {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return 'externalStorage must be an object.';
  const v = value as Record<string, unknown>;
  const kind = STORAGE_KINDS.find(
    (k) => typeof v.recordingStorageKind === 'string' && k.toLowerCase() === v.recordingStorageKind.toLowerCase(),
  );
  if (!kind) {
    return `externalStorage.recordingStorageKind must be one of ${STORAGE_KINDS.join(', ')}, not ${JSON.stringify(v.recordingStorageKind)}.`;
  }
  const url = v.recordingDestinationContainerUrl;
  if (url === undefined || url === null) return { recordingStorageKind: kind };
  if (typeof url !== 'string' || !URL.canParse(url)) {
    return 'externalStorage.recordingDestinationContainerUrl must be an absolute URI.';
  }
  return { recordingStorageKind: kind, recordingDestinationContainerUrl: url };
}

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T | undefined {
  if (value === undefined || value === null) return fallback;
  return allowed.find((a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase());
}

export function startSettingsFromGaBody(state: EmulatorState, json: Record<string, unknown>): ParsedStart {
  const bad = (message: string): ParsedStart => ({ status: 400, code: 'BadRequest', message });
  const locator = json.callLocator as Record<string, unknown> | undefined | null;
  const connectionId = json.callConnectionId;
  if (locator && connectionId !== undefined) return bad('Only one of callLocator or callConnectionId can be used.');
  let serverCallId: string;
  let callConnectionId: string | undefined;
  if (locator) {
    const kind = locator.kind ?? 'serverCallLocator';
    if (kind !== 'serverCallLocator') {
      return bad(`The emulator records only serverCallLocator calls, not ${JSON.stringify(kind)}.`);
    }
    const id = locator.serverCallId ?? locator.id;
    if (typeof id !== 'string' || id === '') return bad('callLocator.serverCallId is required.');
    serverCallId = id;
  } else if (typeof connectionId === 'string' && connectionId !== '') {
    const call = state.callOfConnection(connectionId);
    if (!call) return { status: 404, code: '8522', message: `Call connection ${connectionId} was not found.` };
    serverCallId = call.serverCallId;
    callConnectionId = connectionId;
  } else {
    return bad('callLocator or callConnectionId is required.');
  }
  const contentType = pick(json.recordingContentType, ['audio', 'audioVideo'] as const, 'audioVideo');
  const channelType = pick(json.recordingChannelType, ['mixed', 'unmixed'] as const, 'mixed');
  const format = pick(json.recordingFormatType, ['mp4', 'mp3', 'wav'] as const, 'mp4');
  if (!contentType || !channelType || !format || !ALLOWED.has(`${contentType}/${channelType}/${format}`)) {
    return bad(
      `Recording ${String(json.recordingContentType)} / ${String(json.recordingChannelType)} / ${String(json.recordingFormatType)} is not a supported combination.`,
    );
  }
  const storage = externalStorageOf(json.externalStorage);
  if (typeof storage === 'string') return bad(storage);
  const callback = json.recordingStateCallbackUri;
  return {
    serverCallId,
    settings: {
      dialect: 'calling',
      ...(typeof callback === 'string' ? { callback } : {}),
      ...(callConnectionId ? { callConnectionId } : {}),
      ...(storage ? { externalStorage: storage } : {}),
      contentType,
      channelType,
      format,
      paused: json.pauseOnStart === true,
    },
  };
}
