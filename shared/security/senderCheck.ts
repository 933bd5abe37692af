import type { Config } from '../config';
import { foreignSourceReason, isEventGridSystemEvent, type EventEnvelope } from '../events';
import { safeText } from '../text';
import { CallerRefusedError } from './callerRefused';
import { CallbackTokenValidator } from './callbackToken';

/**
 * Who may send what (checked before anything in a delivery is acted on; one refused event refuses the delivery).
 * At /api/call-events (Event Grid's endpoint; callbacks are still taken there, for compatibility) and at
 * /api/recording-state, checkSenders:
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

/**
 * At the Call Automation callback endpoint (/api/call-automation-events), which takes callbacks only: an Event Grid
 * event (a system event such as CallEnded, or Event Grid's own handshake) is refused with 403 whoever sent it. A
 * system event needs no token, only the right `topic`, which is no secret: accepted at the URL Call Automation holds,
 * it would let whoever learnt that URL stop or start any recording. Every callback needs a valid Call Automation JWT
 * when ACS_IMMUTABLE_RESOURCE_ID is set.
 */
export async function checkCallbackSenders(
  envelopes: readonly EventEnvelope[],
  authorization: string | null | undefined,
  policy: SenderPolicy,
): Promise<void> {
  const eventGrid = envelopes.find((envelope) => !needsCallbackToken(envelope));
  if (eventGrid) {
    throw new CallerRefusedError(
      403,
      'NotACallback',
      `event ${safeText(eventGrid.id, 80)} (${safeText(eventGrid.type, 80)}) is an Event Grid event; this endpoint ` +
        'takes only Call Automation callbacks: Event Grid subscriptions belong on /api/call-events',
      'type',
    );
  }
  if (policy.callbackTokens) await policy.callbackTokens.verify(authorization);
}

/** Whether the event is a callback, believed only with a Call Automation token (see SenderPolicy). */
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
