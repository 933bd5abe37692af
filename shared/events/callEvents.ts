import { parseServerCallId } from '../acs/serverCallId';
import { BadInputError } from '../errors';
import type { EventEnvelope } from './envelope';

/**
 * The moments that drive recording (SPEC section 4), from every event shape that announces them: the 2021
 * CallLegStateChanged, Event Grid CallStarted/CallEnded, and Call Automation CallConnected/CallDisconnected,
 * RecordingStateChanged and StartRecordingFailed. Anything else is `ignored`.
 */
export type CallMoment =
  | { kind: 'established'; serverCallId: string; eventType: string }
  | { kind: 'ended'; serverCallId: string; eventType: string }
  | { kind: 'recordingState'; serverCallId: string; recordingId: string | null; state: string; eventType: string }
  | { kind: 'startFailed'; serverCallId: string; eventType: string }
  | { kind: 'ignored'; eventType: string };

const PREFIX = 'Microsoft.Communication.';

export function callMomentOf(event: EventEnvelope): CallMoment {
  const type = event.type;
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  const serverCallId = (field: string) => parseServerCallId(data[field], `data.${field}`);
  switch (type) {
    case `${PREFIX}CallLegStateChanged`: {
      const rawState = data.CallState ?? data.callState;
      const state = typeof rawState === 'string' ? rawState.toLowerCase() : '';
      const id = serverCallId(data.ConversationId !== undefined ? 'ConversationId' : 'conversationId');
      if (state === 'established') return { kind: 'established', serverCallId: id, eventType: type };
      if (state === 'terminated') return { kind: 'ended', serverCallId: id, eventType: type };
      return { kind: 'ignored', eventType: `${type} (${state || 'no state'})` };
    }
    case `${PREFIX}CallStarted`:
    case `${PREFIX}CallConnected`:
      return { kind: 'established', serverCallId: serverCallId('serverCallId'), eventType: type };
    case `${PREFIX}CallEnded`:
    case `${PREFIX}CallDisconnected`:
      return { kind: 'ended', serverCallId: serverCallId('serverCallId'), eventType: type };
    case `${PREFIX}RecordingStateChanged`:
    case `${PREFIX}CallRecordingStateChange`: {
      const state = data.state ?? data.recordingState;
      if (typeof state !== 'string') throw new BadInputError('data.state is missing or not a string', 'data.state');
      const recordingId = typeof data.recordingId === 'string' ? data.recordingId : null;
      return {
        kind: 'recordingState',
        serverCallId: serverCallId('serverCallId'),
        recordingId,
        state,
        eventType: type,
      };
    }
    case `${PREFIX}StartRecordingFailed`:
      return { kind: 'startFailed', serverCallId: serverCallId('serverCallId'), eventType: type };
    default:
      return { kind: 'ignored', eventType: type };
  }
}
