import { randomUUID } from 'node:crypto';
import { callConnectionEvent } from './callbackShapes';
import type { EventSink } from './eventDelivery';
import { callLegStateChanged, callLifecycleEvent } from './eventShapes';
import { newServerCallId } from './ids';
import { stopRecordingsOf } from './recordings';
import type { SimulatedCall } from './records';
import type { CallState, EmulatorState } from './state';
import type { StartCallOptions } from './types';

/**
 * Simulated calls and the events they send to `webhooks.callEvents`:
 * - 'system': Event Grid's CallStarted / CallEnded (schema as configured; never signed);
 * - 'callAutomation': one signed CallConnected / CallDisconnected callback per leg (the app's call connections);
 * - the 2021 form: CallLegStateChanged Established / Terminated per leg.
 * Ending a call stops its recordings (ACS ends a recording when the call ends).
 */

export function startCall(state: EmulatorState, sink: EventSink, opts: StartCallOptions = {}): SimulatedCall {
  const participants = opts.participants ?? [`8:acs:${randomUUID()}`, `8:acs:${randomUUID()}`];
  const serverCallId = opts.serverCallId ?? newServerCallId(state.settings.serverCallIdStyle);
  const legs = opts.callConnectionIds?.length ? opts.callConnectionIds : (opts.legs ?? 1);
  const call = state.registerCall(serverCallId, participants, legs, opts.omitServerCallIdInCallConnected);
  emitCallEvents(state, sink, call, 'started', call.legs);
  return simulatedCall(call);
}

export async function endCall(state: EmulatorState, sink: EventSink, serverCallId: string): Promise<void> {
  const call = state.calls.get(serverCallId);
  if (!call) throw new Error(`the emulator knows no call ${serverCallId}`);
  if (call.ended) return;
  call.ended = true;
  emitCallEvents(
    state,
    sink,
    call,
    'ended',
    call.legs.filter((leg) => !call.hungUp.has(leg)),
  );
  await stopRecordingsOf(state, sink, serverCallId);
}

/** One call connection leaves the call: CallDisconnected for it; the call and its recording go on. */
export function hangUp(state: EmulatorState, sink: EventSink, callConnectionId: string): void {
  const call = state.callOfConnection(callConnectionId);
  if (!call) throw new Error(`the emulator knows no call connection ${callConnectionId}`);
  if (call.ended || call.hungUp.has(callConnectionId)) return;
  call.hungUp.add(callConnectionId);
  emitCallEvents(state, sink, call, 'ended', [callConnectionId], true);
}

function emitCallEvents(
  state: EmulatorState,
  sink: EventSink,
  call: CallState,
  moment: 'started' | 'ended',
  legs: string[],
  connectionOnly = false,
): void {
  const { webhooks, eventSchema: schema, eventForm, callEvents, resourceId: source } = state.settings;
  if (eventForm === '2021') {
    const events = legs.map((leg) => callLegStateChanged(call, leg, moment, { schema, source }));
    for (const url of webhooks.callEvents) for (const event of events) sink.publish(url, event, schema);
  } else if (callEvents === 'callAutomation') {
    const kind = moment === 'started' ? 'CallConnected' : 'CallDisconnected';
    const withId = moment === 'ended' || !call.omitServerCallIdInCallConnected;
    for (const url of webhooks.callEvents) {
      for (const leg of legs) sink.callback(url, [callConnectionEvent(call, leg, kind, withId)]);
    }
  } else if (!connectionOnly) {
    const event = callLifecycleEvent(call, moment, { schema, source });
    for (const url of webhooks.callEvents) sink.publish(url, event, schema);
  }
}

export function simulatedCall(call: CallState): SimulatedCall {
  const { serverCallId, callId, participants, legs, startedAt } = call;
  return { serverCallId, callId, participants, legs, startedAt };
}
