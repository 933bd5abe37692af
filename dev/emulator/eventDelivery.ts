import { randomUUID } from 'node:crypto';
import { EMULATOR_TOPIC } from './recordingFiles';
import type { DeliveryLogEntry, WebhookValidation } from './types';
import { sleep } from './httpHelpers';

/**
 * Delivers events to webhooks the way Event Grid does (SPEC section 5): Event Grid schema as a JSON array with
 * `aeg-event-type: Notification`, CloudEvents as a single `application/cloudevents+json` event; retries on any
 * non-2xx except 400/401/403/413, on the given (compressed) schedule. Every delivery is logged.
 */

const NO_RETRY = new Set([400, 401, 403, 413]);

export class EventDelivery {
  readonly log: DeliveryLogEntry[] = [];
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly retryDelaysMs: number[],
    private readonly attemptTimeoutMs: number,
    private readonly writeLog: (line: string) => void,
  ) {}

  deliver(url: string, event: Record<string, unknown>, schema: 'EventGrid' | 'CloudEvents'): void {
    const run = this.run(url, event, schema).finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  /** Posts any JSON body once per attempt with the same retry (used for Call Automation style callbacks). */
  deliverRaw(url: string, body: unknown, headers: Record<string, string>, eventType: string, eventId: string): void {
    const run = this.attempts(url, JSON.stringify(body), headers, eventType, eventId).finally(() =>
      this.pending.delete(run),
    );
    this.pending.add(run);
  }

  private run(url: string, event: Record<string, unknown>, schema: 'EventGrid' | 'CloudEvents'): Promise<void> {
    const eventType = String(event.eventType ?? event.type);
    const body = schema === 'EventGrid' ? JSON.stringify([event]) : JSON.stringify(event);
    const headers =
      schema === 'EventGrid'
        ? { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }
        : { 'content-type': 'application/cloudevents+json; charset=utf-8', 'aeg-event-type': 'Notification' };
    return this.attempts(url, body, headers, eventType, String(event.id));
  }

  private async attempts(
    url: string,
    body: string,
    headers: Record<string, string>,
    eventType: string,
    eventId: string,
  ): Promise<void> {
    const entry: DeliveryLogEntry = { url, eventType, eventId, attempts: 0, statuses: [], delivered: false };
    this.log.push(entry);
    for (let attempt = 0; attempt <= this.retryDelaysMs.length && !this.stopped; attempt++) {
      if (attempt > 0) await sleep(this.retryDelaysMs[attempt - 1]!);
      if (this.stopped) break;
      entry.attempts++;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'aeg-delivery-count': String(attempt) },
          body,
          signal: AbortSignal.timeout(this.attemptTimeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        entry.statuses.push(response.status);
        if (response.status >= 200 && response.status < 300) {
          entry.delivered = true;
          this.writeLog(`delivered ${eventType} ${eventId} to ${url} (attempt ${entry.attempts})`);
          return;
        }
        if (NO_RETRY.has(response.status)) break;
      } catch (error) {
        // NOTE: not `instanceof Error`: fetch's abort is a DOMException from another realm under jest.
        const name = (error as { name?: unknown } | undefined)?.name;
        entry.statuses.push(typeof name === 'string' ? name : 'error');
      }
    }
    this.writeLog(`gave up delivering ${eventType} ${eventId} to ${url} after ${entry.attempts} attempt(s)`);
  }

  /** Event Grid's subscription handshake, either schema (SPEC section 4). */
  async validate(url: string, schema: 'EventGrid' | 'CloudEvents'): Promise<WebhookValidation> {
    if (schema === 'CloudEvents') {
      const origin = 'eventgrid.azure.net';
      const response = await fetch(url, {
        method: 'OPTIONS',
        headers: { 'webhook-request-origin': origin, 'webhook-request-rate': '120' },
        signal: AbortSignal.timeout(this.attemptTimeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      const allowed = response.headers.get('webhook-allowed-origin');
      const ok = response.status === 200 && (allowed === origin || allowed === '*');
      return ok
        ? { ok, status: response.status }
        : {
            ok,
            status: response.status,
            problem: `expected 200 with WebHook-Allowed-Origin: ${origin}, got ${allowed}`,
          };
    }
    const validationCode = randomUUID();
    const event = {
      id: randomUUID(),
      topic: EMULATOR_TOPIC,
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
      signal: AbortSignal.timeout(this.attemptTimeoutMs),
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
    return ok
      ? { ok, status: response.status }
      : {
          ok,
          status: response.status,
          problem: `expected 200 {"validationResponse":"${validationCode}"}, got ${text.slice(0, 200)}`,
        };
  }

  /** Resolves when nothing is in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  stop(): void {
    this.stopped = true;
  }
}
