import type { AcsCallEndedEventData, AcsCallStartedEventData } from '@azure/eventgrid';
import { parseServerCallId } from '../recording';
import { BadInputError } from '../errors';
import type { EventEnvelope } from './envelope';

/**
 * The moments that drive recording, from every event shape that announces them: Event Grid CallStarted / CallEnded
 * (system events of the ACS resource), the Call Automation callbacks CallConnected / CallDisconnected /
 * RecordingStateChanged / StartRecordingFailed, and the 2021 callbacks CallLegStateChanged and
 * CallRecordingStateChanged. Anything else is `ignored`. Ids are taken exactly as given (opaque, only bounded).
 */
export type CallMoment =
  | { kind: 'established'; serverCallId: string | null; callConnectionId: string | null; eventType: string }
  | { kind: 'ended'; serverCallId: string; eventType: string }
  | { kind: 'disconnected'; serverCallId: string | null; callConnectionId: string | null; eventType: string }
  | {
      kind: 'recordingState';
      serverCallId: string | null;
      callConnectionId: string | null;
      recordingId: string | null;
      state: string;
      recordingKind: string | null;
      eventType: string;
    }
  | {
      kind: 'startFailed';
      serverCallId: string | null;
      callConnectionId: string | null;
      /** Optional in the GA schema: a failure may name only the call. */
      recordingId: string | null;
      /** `resultInformation` code and subCode, when given as numbers. */
      result: { code: number | null; subCode: number | null } | null;
      eventType: string;
    }
  | { kind: 'ignored'; eventType: string };

const PREFIX = 'Microsoft.Communication.';

/** The Call Automation callback types this app acts on; each carries a Call Automation JWT when it is real. */
const CALL_AUTOMATION_EVENT_TYPES = {
  callConnected: `${PREFIX}CallConnected`,
  callDisconnected: `${PREFIX}CallDisconnected`,
  recordingStateChanged: `${PREFIX}RecordingStateChanged`,
  startRecordingFailed: `${PREFIX}StartRecordingFailed`,
  /** The 2021-2022 callingserver name of RecordingStateChanged. */
  callRecordingStateChanged: `${PREFIX}CallRecordingStateChanged`,
} as const;

/**
 * Event Grid system event data as the service sends it. NOTE: `@azure/eventgrid` types `startedBy`, `serverCallId`
 * and `correlationId` (and, for CallEnded, `endedBy`, `reason`, `callDurationInSeconds`) as required; the service's
 * own examples omit some of them (the legacy CallStarted example in test/fixtures/acs-public has no correlationId),
 * and this app needs only `serverCallId`. So every field is optional and unknown here, and checked where used.
 */
type AsSent<T> = { [K in keyof T]?: unknown };
type CallStartedData = AsSent<AcsCallStartedEventData>;
type CallEndedData = AsSent<AcsCallEndedEventData>;

/**
 * Call Automation callback data (CallConnected, CallDisconnected, RecordingStateChanged, StartRecordingFailed):
 * every field is optional in the REST specification (Azure/azure-rest-api-specs,
 * specification/communication/data-plane/CallAutomation/stable/2025-06-15/communicationservicescallautomation.json),
 * and `@azure/eventgrid` does not type them (they are not Event Grid events).
 */
interface CallAutomationData {
  callConnectionId?: unknown;
  serverCallId?: unknown;
  correlationId?: unknown;
  recordingId?: unknown;
  state?: unknown;
  recordingKind?: unknown;
  resultInformation?: unknown;
}

/** The 2021 CallLegStateChanged callback: `{ConversationId, CallLegId, CallState}` (either case). */
interface CallLegStateData {
  ConversationId?: unknown;
  conversationId?: unknown;
  CallState?: unknown;
  callState?: unknown;
}

export function callMomentOf(event: EventEnvelope): CallMoment {
  const type = event.type;
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  switch (type) {
    case `${PREFIX}CallStarted`: {
      const d: CallStartedData = data;
      return {
        kind: 'established',
        serverCallId: id(d.serverCallId, 'serverCallId'),
        callConnectionId: null,
        eventType: type,
      };
    }
    case `${PREFIX}CallEnded`: {
      const d: CallEndedData = data;
      return { kind: 'ended', serverCallId: id(d.serverCallId, 'serverCallId'), eventType: type };
    }
    case CALL_AUTOMATION_EVENT_TYPES.callConnected: {
      const ids = callIds(data);
      return { kind: 'established', ...ids, eventType: type };
    }
    case CALL_AUTOMATION_EVENT_TYPES.callDisconnected:
      return { kind: 'disconnected', ...callIds(data), eventType: type };
    case CALL_AUTOMATION_EVENT_TYPES.recordingStateChanged:
    case CALL_AUTOMATION_EVENT_TYPES.callRecordingStateChanged: {
      const d: CallAutomationData & { recordingState?: unknown } = data;
      const state = d.state ?? d.recordingState;
      if (typeof state !== 'string') throw new BadInputError('data.state is missing or not a string', 'data.state');
      return {
        kind: 'recordingState',
        ...callIds(d),
        recordingId: optionalId(d.recordingId, 'recordingId'),
        state,
        recordingKind: typeof d.recordingKind === 'string' ? d.recordingKind : null,
        eventType: type,
      };
    }
    case CALL_AUTOMATION_EVENT_TYPES.startRecordingFailed: {
      const d: CallAutomationData = data;
      return {
        kind: 'startFailed',
        ...callIds(d),
        recordingId: optionalId(d.recordingId, 'recordingId'),
        result: resultOf(d.resultInformation),
        eventType: type,
      };
    }
    case `${PREFIX}CallLegStateChanged`: {
      const d: CallLegStateData = data;
      const rawState = d.CallState ?? d.callState;
      const state = typeof rawState === 'string' ? rawState.toLowerCase() : '';
      const field = d.ConversationId !== undefined ? 'ConversationId' : 'conversationId';
      const conversationId = () => id(d.ConversationId ?? d.conversationId, field);
      if (state === 'established') {
        return { kind: 'established', serverCallId: conversationId(), callConnectionId: null, eventType: type };
      }
      if (state === 'terminated') return { kind: 'ended', serverCallId: conversationId(), eventType: type };
      return { kind: 'ignored', eventType: type };
    }
    default:
      return { kind: 'ignored', eventType: type };
  }
}

/** `resultInformation` ({code, subCode, message}, all optional): only the numbers are kept, never ACS's text. */
function resultOf(value: unknown): { code: number | null; subCode: number | null } | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as { code?: unknown; subCode?: unknown };
  const num = (n: unknown): number | null => (typeof n === 'number' && Number.isInteger(n) ? n : null);
  return { code: num(r.code), subCode: num(r.subCode) };
}

function id(value: unknown, field: string): string {
  return parseServerCallId(value, `data.${field}`);
}

function optionalId(value: unknown, field: string): string | null {
  return value === undefined || value === null ? null : id(value, field);
}

/** A Call Automation callback names its call by serverCallId, callConnectionId, or both; at least one is needed. */
function callIds(data: CallAutomationData): { serverCallId: string | null; callConnectionId: string | null } {
  const serverCallId = optionalId(data.serverCallId, 'serverCallId');
  const callConnectionId = optionalId(data.callConnectionId, 'callConnectionId');
  if (serverCallId === null && callConnectionId === null) {
    throw new BadInputError('data.serverCallId or data.callConnectionId is required', 'data.serverCallId');
  }
  return { serverCallId, callConnectionId };
}
