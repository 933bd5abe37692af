import { AppError, BadInputError, isRetryable, toError } from '../errors';
import { callMomentOf, type CallMoment, type EventEnvelope } from '../events';
import type { Logger } from '../logger';
import { safeText, shortId } from '../text';
import type { RecordingControl } from './recordingControl';

/**
 * One delivery of call events (already checked for its sender): each event is turned into a moment and acted on.
 * Event Grid retries a whole delivery or none of it, so the outcome is one of:
 * - null: every event is done or can never succeed (answer 200, or Event Grid would bring the good ones again);
 * - a retryable error: something transient failed (answer 5xx; acting twice is harmless, every step is idempotent);
 * - a bad-input error, only for a delivery of one event that can never succeed (answer 400, never retried).
 */
export async function handleCallEvents(
  envelopes: readonly EventEnvelope[],
  control: Pick<RecordingControl, 'start' | 'stop' | 'applyCallback'>,
  log: Logger,
  options: { only?: readonly CallMoment['kind'][] } = {},
): Promise<Error | null> {
  let retry: Error | null = null;
  let badInput: BadInputError | null = null;
  for (const envelope of envelopes) {
    const label = `event ${safeText(envelope.id, 80)} (${safeText(envelope.type, 100)})`;
    try {
      const moment = callMomentOf(envelope);
      if (moment.kind === 'ignored' || (options.only && !options.only.includes(moment.kind))) {
        log.debug(`call events: ${label} ignored`);
        continue;
      }
      log.info(`call events: ${label}: ${await act(moment, control, log, eventTimeOf(envelope))}`);
    } catch (error) {
      const e = toError(error);
      if (error instanceof BadInputError) {
        log.warn(`call events: ${label} can never succeed: ${safeText(e.message, 300)}`);
        badInput ??= error;
      } else if (error instanceof AppError && !isRetryable(error)) {
        log.error(`call events: ${label} failed for good: ${safeText(e.message, 300)}`);
      } else {
        log.error(`call events: ${label} failed, asking for a redelivery: ${safeText(e.message, 300)}`);
        retry ??= e;
      }
    }
  }
  if (retry) return retry;
  return envelopes.length === 1 ? badInput : null;
}

/** When the event happened; an event without a usable time (a CloudEvent may omit it) happened when it arrived. */
function eventTimeOf(envelope: EventEnvelope): Date {
  const time = Date.parse(envelope.time);
  return Number.isNaN(time) ? new Date() : new Date(time);
}

async function act(
  moment: Exclude<CallMoment, { kind: 'ignored' }>,
  control: Pick<RecordingControl, 'start' | 'stop' | 'applyCallback'>,
  log: Logger,
  eventTime: Date,
): Promise<string> {
  const trigger = { source: 'event' as const, name: moment.eventType.replace('Microsoft.Communication.', '') };
  switch (moment.kind) {
    case 'established': {
      // A CallConnected may lack serverCallId (optional in the GA schema): then the call is started, and known, by
      // its callConnectionId.
      const locator =
        moment.serverCallId !== null
          ? ({ kind: 'serverCallId', id: moment.serverCallId } as const)
          : ({ kind: 'callConnectionId', id: moment.callConnectionId! } as const);
      const view = await control.start({ locator, callConnectionId: moment.callConnectionId, trigger, eventTime }, log);
      return `call ${shortId(view.serverCallId)} recording ${view.state}`;
    }
    case 'ended': {
      const view = await control.stop(moment.serverCallId, trigger, log);
      return view ? `call ${shortId(view.serverCallId)} recording ${view.state}` : 'the call was never recorded';
    }
    case 'disconnected':
      // NOTE: only a connection (this app's, or another app's) left; the call and its recording may go on, and ACS
      // ends the recording itself when the call ends. Nothing to do or to store.
      return 'a call connection left; the recording (if any) goes on';
    case 'recordingState':
    case 'startFailed': {
      const callback =
        moment.kind === 'recordingState'
          ? {
              type: 'stateChanged' as const,
              recordingId: moment.recordingId,
              state: moment.state,
              recordingKind: moment.recordingKind,
            }
          : {
              type: 'startFailed' as const,
              recordingId: moment.recordingId,
              state: null,
              recordingKind: null,
              result: moment.result,
            };
      if (moment.kind === 'startFailed') {
        log.error(
          `call events: ACS could not start recording call ${shortId(moment.serverCallId ?? moment.callConnectionId)}`,
        );
      }
      const view = await control.applyCallback(moment, callback, log);
      return view ? `recording ${view.state}` : 'unknown call, ignored';
    }
  }
}
