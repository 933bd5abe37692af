import { BadInputError } from '../errors';

/**
 * Incoming events in either schema Event Grid speaks: its own (id, subject, eventType, eventTime, data, dataVersion)
 * or CloudEvents 1.0 (specversion, id, source, type, time, subject, data). Validation errors name the field.
 */

export interface EventEnvelope {
  schema: 'EventGrid' | 'CloudEvents';
  id: string;
  type: string;
  /** Empty when a CloudEvent has none. */
  subject: string;
  /** ISO time; for a CloudEvent without `time`, empty. */
  time: string;
  data: unknown;
  raw: unknown;
}

export const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** One event, as the Functions host hands it to an Event Grid trigger. */
export function toEventEnvelope(event: unknown): EventEnvelope {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new BadInputError('event is not a JSON object', 'event');
  }
  const e = event as Record<string, unknown>;
  if ('specversion' in e) {
    if (e.specversion !== '1.0')
      throw new BadInputError(`CloudEvent specversion '${String(e.specversion)}' is not 1.0`, 'specversion');
    return {
      schema: 'CloudEvents',
      id: requiredString(e, 'id'),
      type: requiredString(e, 'type'),
      subject: optionalString(e, 'subject'),
      time: optionalString(e, 'time'),
      data: 'data' in e ? e.data : decodeBase64Data(e),
      raw: event,
    };
  }
  return {
    schema: 'EventGrid',
    id: requiredString(e, 'id'),
    type: requiredString(e, 'eventType'),
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
