import { randomUUID } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import type { DeliveryLogEntry, WebhookValidation } from './records';
import type { EventSchema } from './types';

/**
 * Delivers events to webhooks, every delivery logged:
 * - system events the way Event Grid does: Event Grid schema as a JSON array with `aeg-event-type: Notification`,
 *   CloudEvents as a single `application/cloudevents+json` event; never signed by ACS;
 * - Call Automation callbacks the way ACS does: a JSON array of CloudEvents, with `Authorization: Bearer <JWT>`
 *   made afresh for every attempt, and none of Event Grid's `aeg-*` headers (Event Grid does not carry them).
 * Both retry any non-2xx except 400/401/403/413, on the given (compressed) schedule.
 */

const NO_RETRY = new Set([400, 401, 403, 413]);

/** Where the emulator's servers put the events they emit. */
export interface EventSink {
  publish(url: string, event: object, schema: EventSchema): void;
  callback(url: string, events: object[]): void;
}

export interface DeliveryOptions {
  retryDelaysMs: number[];
  attemptTimeoutMs: number;
  /** The ARM id in the SubscriptionValidationEvent's topic. */
  topic: string;
  /** The Authorization header of the next callback attempt, or undefined for none. */
  callbackAuthorization: () => string | undefined;
  log: (line: string) => void;
}

interface Delivery {
  url: string;
  body: string;
  headers: Record<string, string>;
  entry: DeliveryLogEntry;
}

export class EventDelivery implements EventSink {
  readonly log: DeliveryLogEntry[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: DeliveryOptions) {}

  publish(url: string, event: object, schema: EventSchema): void {
    const fields = event as { eventType?: unknown; type?: unknown; id?: unknown };
    const headers =
      schema === 'EventGrid'
        ? { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }
        : { 'content-type': 'application/cloudevents+json; charset=utf-8', 'aeg-event-type': 'Notification' };
    const body = JSON.stringify(schema === 'EventGrid' ? [event] : event);
    this.start({
      url,
      body,
      headers,
      entry: this.entry(url, fields.eventType ?? fields.type, fields.id, 'eventGrid'),
    });
  }

  callback(url: string, events: object[]): void {
    const first = (events[0] ?? {}) as { type?: unknown; id?: unknown };
    const entry = this.entry(url, first.type, first.id, 'callback');
    this.start({
      url,
      body: JSON.stringify(events),
      headers: { 'content-type': 'application/json' },
      entry,
    });
  }

  private entry(url: string, type: unknown, id: unknown, channel: DeliveryLogEntry['channel']): DeliveryLogEntry {
    const entry = {
      url,
      eventType: String(type),
      eventId: String(id),
      attempts: 0,
      statuses: [],
      delivered: false,
      channel,
    };
    this.log.push(entry);
    return entry;
  }

  private start(delivery: Delivery): void {
    const run = this.attempts(delivery).finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  private async attempts({ url, body, headers, entry }: Delivery): Promise<void> {
    const eventGrid = entry.channel === 'eventGrid';
    const stop = this.stopping.signal;
    for (let attempt = 0; attempt <= this.options.retryDelaysMs.length && !stop.aborted; attempt++) {
      const delay = this.options.retryDelaysMs[attempt - 1];
      if (delay !== undefined) await wait(delay, undefined, { signal: stop }).catch(() => undefined);
      if (stop.aborted) break;
      entry.attempts++;
      const authorization = eventGrid ? undefined : this.options.callbackAuthorization();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            ...headers,
            // NOTE: Event Grid's delivery headers only on Event Grid deliveries; ACS sends callbacks itself.
            ...(eventGrid && { 'aeg-delivery-count': String(attempt) }),
            ...(authorization && { authorization }),
          },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(this.options.attemptTimeoutMs), stop]),
        });
        await response.arrayBuffer().catch(() => undefined);
        entry.statuses.push(response.status);
        if (response.status >= 200 && response.status < 300) {
          entry.delivered = true;
          this.options.log(`delivered ${entry.eventType} ${entry.eventId} to ${url} (attempt ${entry.attempts})`);
          return;
        }
        if (NO_RETRY.has(response.status)) break;
      } catch (error) {
        // NOTE: not `instanceof Error`: fetch's abort is a DOMException from another realm under jest.
        const name = (error as { name?: unknown } | undefined)?.name;
        entry.statuses.push(typeof name === 'string' ? name : 'error');
      }
    }
    this.options.log(
      `gave up delivering ${entry.eventType} ${entry.eventId} to ${url} after ${entry.attempts} attempt(s)`,
    );
  }

  /** Event Grid's subscription handshake, either schema. */
  async validate(url: string, schema: EventSchema): Promise<WebhookValidation> {
    const signal = AbortSignal.timeout(this.options.attemptTimeoutMs);
    if (schema === 'CloudEvents') {
      const origin = 'eventgrid.azure.net';
      const response = await fetch(url, {
        method: 'OPTIONS',
        headers: { 'webhook-request-origin': origin, 'webhook-request-rate': '120' },
        signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      const allowed = response.headers.get('webhook-allowed-origin');
      const ok = response.status === 200 && (allowed === origin || allowed === '*');
      const problem = `expected 200 with WebHook-Allowed-Origin: ${origin}, got ${allowed}`;
      return ok ? { ok, status: response.status } : { ok, status: response.status, problem };
    }
    const validationCode = randomUUID();
    const event = {
      id: randomUUID(),
      topic: this.options.topic,
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      data: { validationCode, validationUrl: `https://rp-eastus.eventgrid.azure.net/validate?code=${validationCode}` },
      dataVersion: '2',
      metadataVersion: '1',
    };
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify([event]),
      signal,
    });
    const text = await response.text().catch(() => '');
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    const ok =
      response.status === 200 &&
      (answer as { validationResponse?: unknown } | undefined)?.validationResponse === validationCode;
    const problem = `expected 200 {"validationResponse":"${validationCode}"}, got ${text.slice(0, 200)}`;
    return ok ? { ok, status: response.status } : { ok, status: response.status, problem };
  }

  /** Resolves when nothing is in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  stop(): void {
    this.stopping.abort();
  }
}
