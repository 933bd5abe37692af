import type { KnownSystemEventTypes } from '@azure/eventgrid';
import { BadInputError } from '../errors';
import { safeText } from '../text';

/**
 * Incoming events in either schema Event Grid speaks: its own (id, topic, subject, eventType, eventTime, data,
 * dataVersion) or CloudEvents 1.0 (specversion, id, source, type, time, subject, data). Validation errors name the
 * field.
 */

export interface EventEnvelope {
  schema: 'EventGrid' | 'CloudEvents';
  /** Always set by Event Grid; empty only for an Event Grid-schema event without a topic (the 2021 callbacks). */
  id: string;
  type: string;
  /** Who published it: the Event Grid `topic`, or the CloudEvents `source`; empty when absent. */
  source: string;
  /** Empty when a CloudEvent has none. */
  subject: string;
  /** ISO time; for a CloudEvent without `time`, empty. */
  time: string;
  data: unknown;
  raw: unknown;
}

export const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/**
 * One event, as the Functions host hands it to an Event Grid trigger.
 * NOTE: not `EventGridDeserializer` from `@azure/eventgrid`: it requires `topic`, `subject`, `dataVersion` and
 * `metadataVersion: "1"` on every Event Grid event and a lower-case `specversion` on CloudEvents, and Microsoft's own
 * published payloads lack them (the Go SDK's RecordingFileStatusUpdated has no topic and no metadataVersion; the
 * CloudEvents example writes `specVersion`): test/fixtures/acs-public. The SDK's data types are used (events/*.ts).
 */
export function toEventEnvelope(event: unknown): EventEnvelope {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new BadInputError('event is not a JSON object', 'event');
  }
  const e = event as Record<string, unknown>;
  // NOTE: the CloudEvents JSON format names it `specversion`, but some producers and serializers capitalise it
  // (`specVersion`, `SpecVersion`); a key in any case marks a CloudEvent.
  const specVersionKey = Object.keys(e).find((key) => key.toLowerCase() === 'specversion');
  if (specVersionKey !== undefined) {
    const specVersion = e[specVersionKey];
    if (specVersion !== '1.0') {
      throw new BadInputError(`CloudEvent specversion '${safeText(specVersion, 20)}' is not 1.0`, 'specversion');
    }
    return {
      schema: 'CloudEvents',
      id: requiredString(e, 'id'),
      type: requiredString(e, 'type'),
      source: optionalString(e, 'source'),
      subject: optionalString(e, 'subject'),
      time: optionalString(e, 'time'),
      data: 'data' in e ? e.data : decodeBase64Data(e),
      raw: event,
    };
  }
  const topic = optionalString(e, 'topic');
  return {
    schema: 'EventGrid',
    // NOTE: Event Grid sets both id and topic on everything it delivers. The 2021 calling-server callbacks borrowed
    // the schema without being Event Grid deliveries, and Microsoft's CallLegStateChanged example has
    // `"id": null, "topic": null`; so the id may be missing ('') exactly when the topic is.
    id: topic === '' ? optionalString(e, 'id') : requiredString(e, 'id'),
    type: requiredString(e, 'eventType'),
    source: topic,
    // NOTE: optional: Event Grid's own SubscriptionValidationEvent has an empty subject.
    subject: optionalString(e, 'subject'),
    time: requiredString(e, 'eventTime'),
    data: e.data,
    raw: event,
  };
}

/** A delivery body: one event or an array of them, in either schema. */
export function parseEventEnvelopes(body: unknown): EventEnvelope[] {
  const events = Array.isArray(body) ? body : [body];
  if (events.length === 0) throw new BadInputError('the delivery holds no events', 'body');
  return events.map((event, i) => {
    try {
      return toEventEnvelope(event);
    } catch (error) {
      if (error instanceof BadInputError && Array.isArray(body)) {
        throw new BadInputError(`event [${i}]: ${error.message}`, `[${i}].${error.field ?? ''}`);
      }
      throw error;
    }
  });
}

/** The validation code of an Event Grid subscription handshake, when the delivery is one. */
export function subscriptionValidationCode(envelopes: readonly EventEnvelope[]): string | undefined {
  const validation = envelopes.find((e) => e.type === SUBSCRIPTION_VALIDATION_EVENT);
  if (!validation) return undefined;
  const code = (validation.data as { validationCode?: unknown } | null)?.validationCode;
  if (typeof code !== 'string' || code.length === 0) {
    throw new BadInputError('SubscriptionValidationEvent has no data.validationCode', 'data.validationCode');
  }
  return code;
}

/**
 * The Event Grid system events an ACS resource publishes, as `@azure/eventgrid` knows them (`satisfies` keeps the
 * list honest against the SDK's system event map). Call Automation callbacks (CallConnected, RecordingStateChanged,
 * ...) are not among them: they come straight from the calling platform and are authenticated by their JWT instead.
 */
const ACS_SYSTEM_EVENT_TYPES = [
  'Microsoft.Communication.CallStarted',
  'Microsoft.Communication.CallEnded',
  'Microsoft.Communication.CallParticipantAdded',
  'Microsoft.Communication.CallParticipantRemoved',
  'Microsoft.Communication.IncomingCall',
  'Microsoft.Communication.RecordingFileStatusUpdated',
  'Microsoft.Communication.UserDisconnected',
  'Microsoft.Communication.ChatMessageReceived',
  'Microsoft.Communication.ChatMessageReceivedInThread',
  'Microsoft.Communication.ChatMessageEdited',
  'Microsoft.Communication.ChatMessageEditedInThread',
  'Microsoft.Communication.ChatMessageDeleted',
  'Microsoft.Communication.ChatMessageDeletedInThread',
  'Microsoft.Communication.ChatThreadCreated',
  'Microsoft.Communication.ChatThreadCreatedWithUser',
  'Microsoft.Communication.ChatThreadDeleted',
  'Microsoft.Communication.ChatThreadWithUserDeleted',
  'Microsoft.Communication.ChatThreadParticipantAdded',
  'Microsoft.Communication.ChatThreadParticipantRemoved',
  'Microsoft.Communication.ChatThreadPropertiesUpdated',
  'Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser',
  'Microsoft.Communication.ChatParticipantAddedToThreadWithUser',
  'Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser',
  'Microsoft.Communication.ChatTypingIndicatorReceivedInThread',
  'Microsoft.Communication.ChatAzureBotCommandReceivedInThread',
  'Microsoft.Communication.SMSReceived',
  'Microsoft.Communication.SMSDeliveryReportReceived',
  'Microsoft.Communication.EmailDeliveryReportReceived',
  'Microsoft.Communication.EmailEngagementTrackingReportReceived',
  'Microsoft.Communication.AdvancedMessageReceived',
  'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated',
] as const satisfies readonly KnownSystemEventTypes[];

const ACS_SYSTEM_EVENT_TYPES_LOWER = new Set<string>(ACS_SYSTEM_EVENT_TYPES.map((t) => t.toLowerCase()));

/**
 * Whether Event Grid publishes this event type from an Azure resource's system topic: the ACS events above, and
 * every other `Microsoft.*` type except Event Grid's own handshake events (`Microsoft.EventGrid.*`, which carry no
 * instruction) and ACS types outside the SDK's map (Call Automation callbacks, the 2021 calling-server callbacks).
 * Compared case-insensitively so that a case variant cannot slip past the topic check.
 */
export function isEventGridSystemEvent(envelope: Pick<EventEnvelope, 'type'>): boolean {
  const type = envelope.type.toLowerCase();
  if (ACS_SYSTEM_EVENT_TYPES_LOWER.has(type)) return true;
  if (!type.startsWith('microsoft.')) return false;
  return !type.startsWith('microsoft.communication.') && !type.startsWith('microsoft.eventgrid.');
}

/**
 * Why an event must be refused because it was published by another resource than ours (ACS_RESOURCE_ID), or null
 * when it may be processed: the check is off (`acsResourceId` null), the event is not an Event Grid system event, or
 * its topic / CloudEvents source is the ACS resource (ARM ids compared case-insensitively: Event Grid writes
 * `resourcegroups` and `microsoft.communication` in lower case in some deliveries and not in others).
 */
export function foreignSourceReason(envelope: EventEnvelope, acsResourceId: string | null): string | null {
  if (acsResourceId === null || !isEventGridSystemEvent(envelope)) return null;
  const expected = normalizedResourceId(acsResourceId);
  if (envelope.source.length === 0) {
    return `event ${safeText(envelope.id, 80)} (${safeText(envelope.type, 80)}) names no topic; only the ACS resource in ACS_RESOURCE_ID is obeyed`;
  }
  if (normalizedResourceId(envelope.source) === expected) return null;
  return (
    `event ${safeText(envelope.id, 80)} (${safeText(envelope.type, 80)}) comes from topic ` +
    `'${safeText(envelope.source, 300)}', not from the ACS resource in ACS_RESOURCE_ID`
  );
}

function normalizedResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

function requiredString(e: Record<string, unknown>, field: string): string {
  const value = e[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new BadInputError(`event is missing required property '${field}'`, field);
  }
  return value;
}

function optionalString(e: Record<string, unknown>, field: string): string {
  const value = e[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BadInputError(`event property '${field}' is not a string`, field);
  return value;
}

function decodeBase64Data(e: Record<string, unknown>): unknown {
  if (typeof e.data_base64 !== 'string') return undefined;
  const text = Buffer.from(e.data_base64, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
