import { createHash } from 'node:crypto';
import type { Config } from '../config';
import { foreignSourceReason, isEventGridSystemEvent, type EventEnvelope } from '../events';
import type { Logger } from '../logger';
import { containerFor } from '../storage';
import { logEvent } from '../telemetry';
import { safeText } from '../text';
import { CallerRefusedError } from './callerRefused';
import { CallbackTokenValidator, type VerifiedToken } from './callbackToken';
import { BlobReplayGuard, type ReplayGuard } from './replayGuard';

/**
 * Who may send what (checked before anything in a delivery is acted on; one refused event refuses the delivery).
 * At /api/call-events (Event Grid's endpoint; callbacks are still taken there, for compatibility) and at
 * /api/recording-state, checkSenders:
 * - an Event Grid system event (CallStarted, CallEnded, ...) must come from the ACS resource in ACS_RESOURCE_ID, when
 *   it is set: its `topic` (CloudEvents `source`) names the publisher, and Event Grid sets it, not the sender;
 * - any other event (the Call Automation callbacks CallConnected, CallDisconnected, RecordingStateChanged,
 *   StartRecordingFailed, the 2021 CallRecordingStateChanged and CallLegStateChanged, or anything made up) must carry
 *   a valid Call Automation JWT, used for those events only (a replayed token with other events is refused). Fail
 *   closed: without ACS_IMMUTABLE_RESOURCE_ID there is no audience to check a token against, so callbacks are refused
 *   (401), unless ACS_CALLBACK_AUTH=none says on purpose that they are taken unchecked;
 * - Event Grid's own handshake events (`Microsoft.EventGrid.*`) carry no instruction and need neither.
 */
export interface SenderPolicy {
  acsResourceId: string | null;
  /** null: there is no audience to check callback tokens against (ACS_IMMUTABLE_RESOURCE_ID is not set). */
  callbackTokens: Pick<CallbackTokenValidator, 'verify'> | null;
  /** ACS_CALLBACK_AUTH=none: callbacks are taken without a token when callbackTokens is null. */
  uncheckedCallbacks: boolean;
  /** Binds each token to the events it first came with; null only in tests of the other checks. */
  replays: ReplayGuard | null;
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
  if (envelopes.some(needsCallbackToken)) await checkCallbackToken(envelopes, authorization, policy);
}

/** The token of a delivery that holds a callback, as the policy says; throws CallerRefusedError(401) to refuse. */
async function checkCallbackToken(
  envelopes: readonly EventEnvelope[],
  authorization: string | null | undefined,
  policy: SenderPolicy,
): Promise<void> {
  if (!policy.callbackTokens) {
    if (policy.uncheckedCallbacks) return;
    throw new CallerRefusedError(
      401,
      'CallbackAuthNotConfigured',
      'Call Automation callbacks are refused: this app cannot check their tokens without ACS_IMMUTABLE_RESOURCE_ID ' +
        "(set it to the resource's immutableResourceId, or ACS_CALLBACK_AUTH=none to take callbacks unchecked)",
      'Authorization',
    );
  }
  const token: VerifiedToken = await policy.callbackTokens.verify(authorization);
  await policy.replays?.use({ ...token, instructionSha256: instructionDigest(envelopes) });
}

/** What a delivery asks for, as the parsed events say it (not the bytes: whitespace is no other instruction). */
function instructionDigest(envelopes: readonly EventEnvelope[]): string {
  return createHash('sha256').update(JSON.stringify(envelopes)).digest('hex');
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
  await checkCallbackToken(envelopes, authorization, policy);
}

/** Whether the event is a callback, believed only with a Call Automation token (see SenderPolicy). */
export function needsCallbackToken(envelope: Pick<EventEnvelope, 'type'>): boolean {
  return !isEventGridSystemEvent(envelope) && !envelope.type.toLowerCase().startsWith('microsoft.eventgrid.');
}

let cached: { key: string; policy: SenderPolicy } | undefined;

/**
 * The policy of the configured senders, with one token validator (and so one key cache) per process. The first time
 * a process builds it, each sender check that is off is logged as a warning (SenderCheckOff, which an alert watches):
 * a deployment that forgot a setting says so at once instead of obeying forged events in silence.
 */
export function senderPolicyFor(
  config: Pick<Config, 'senders' | 'storage' | 'controlContainer'>,
  log?: Logger,
): SenderPolicy {
  const { acsResourceId, acsImmutableResourceId, callbackOpenIdConfigUrl, callbackAuth } = config.senders;
  const key = `${acsResourceId ?? ''}|${acsImmutableResourceId ?? ''}|${callbackOpenIdConfigUrl.href}|${callbackAuth}`;
  if (cached?.key !== key) {
    const callbackTokens = acsImmutableResourceId
      ? new CallbackTokenValidator({ openIdConfigUrl: callbackOpenIdConfigUrl, audience: acsImmutableResourceId })
      : null;
    const replays = new BlobReplayGuard(() => containerFor(config, config.controlContainer));
    cached = { key, policy: { acsResourceId, callbackTokens, uncheckedCallbacks: callbackAuth === 'none', replays } };
    if (log) warnOfChecksOff(cached.policy, log);
  }
  return cached.policy;
}

/** One SenderCheckOff line per check that is off. */
export function warnOfChecksOff(policy: SenderPolicy, log: Logger): void {
  if (policy.acsResourceId === null) {
    logEvent(log, 'warn', 'SenderCheckOff', {
      check: 'topic',
      setting: 'ACS_RESOURCE_ID',
      effect: 'Event Grid events are obeyed whatever resource they come from',
    });
  }
  if (policy.callbackTokens === null) {
    logEvent(log, 'warn', 'SenderCheckOff', {
      check: 'callbackToken',
      setting: 'ACS_IMMUTABLE_RESOURCE_ID',
      effect: policy.uncheckedCallbacks
        ? 'Call Automation callbacks are obeyed without a token (ACS_CALLBACK_AUTH=none)'
        : 'Call Automation callbacks are refused (401)',
    });
  }
}
