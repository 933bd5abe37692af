import type { Config } from '../config';
import { foreignSourceReason, isEventGridSystemEvent, type EventEnvelope } from '../events/envelope';
import { CallerRefusedError } from './callerRefused';
import { CallbackTokenValidator } from './callbackToken';

/**
 * Who may send what (checked before anything in a delivery is acted on; one refused event refuses the delivery):
 * - an Event Grid system event (CallStarted, CallEnded, ...) must come from the ACS resource in ACS_RESOURCE_ID, when
 *   it is set: its `topic` (CloudEvents `source`) names the publisher, and Event Grid sets it, not the sender;
 * - any other event (the Call Automation callbacks CallConnected, CallDisconnected, RecordingStateChanged,
 *   StartRecordingFailed, the 2021 CallRecordingStateChanged and CallLegStateChanged, or anything made up) must carry
 *   a valid Call Automation JWT, when ACS_IMMUTABLE_RESOURCE_ID is set;
 * - Event Grid's own handshake events (`Microsoft.EventGrid.*`) carry no instruction and need neither.
 */
export interface SenderPolicy {
  acsResourceId: string | null;
  /** null: callbacks are not authenticated (ACS_IMMUTABLE_RESOURCE_ID is not set). */
  callbackTokens: Pick<CallbackTokenValidator, 'verify'> | null;
}

export async function checkSenders(
  envelopes: readonly EventEnvelope[],
  authorization: string | null | undefined,
  policy: SenderPolicy,
): Promise<void> {
  for (const envelope of envelopes) {
    const reason = foreignSourceReason(envelope, policy.acsResourceId);
    if (reason !== null) throw new CallerRefusedError(403, 'ForeignTopic', reason, 'topic');
  }
  if (policy.callbackTokens && envelopes.some(needsCallbackToken)) {
    await policy.callbackTokens.verify(authorization);
  }
}

/** Whether the event can only be believed with a Call Automation token (see SenderPolicy). */
export function needsCallbackToken(envelope: Pick<EventEnvelope, 'type'>): boolean {
  return !isEventGridSystemEvent(envelope) && !envelope.type.toLowerCase().startsWith('microsoft.eventgrid.');
}

let cached: { key: string; policy: SenderPolicy } | undefined;

/** The policy of the configured senders, with one token validator (and so one key cache) per process. */
export function senderPolicyFor(config: Pick<Config, 'senders'>): SenderPolicy {
  const { acsResourceId, acsImmutableResourceId, callbackOpenIdConfigUrl } = config.senders;
  const key = `${acsResourceId ?? ''}|${acsImmutableResourceId ?? ''}|${callbackOpenIdConfigUrl.href}`;
  if (cached?.key !== key) {
    const callbackTokens = acsImmutableResourceId
      ? new CallbackTokenValidator({ openIdConfigUrl: callbackOpenIdConfigUrl, audience: acsImmutableResourceId })
      : null;
    cached = { key, policy: { acsResourceId, callbackTokens } };
  }
  return cached.policy;
}
