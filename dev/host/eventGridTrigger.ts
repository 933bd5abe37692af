import type { IncomingMessage, ServerResponse } from 'node:http';
import { safeText } from '../../shared/text';
import type { HostState } from './hostState';
import { header, readBody, send, sendJson } from './httpUtil';
import { runnable } from './indexing';
import { invoke } from './invoke';
import { isAuthorized, presentedKey } from './keys';

/** The Event Grid extension's system key name; its webhook URL carries it as `?code=` when keys are enforced. */
export const EVENT_GRID_SYSTEM_KEY = 'eventgrid_extension';

/**
 * `/runtime/webhooks/eventgrid?functionName=NAME`, as the Event Grid extension serves it: the system key (when keys
 * are configured, else 401), unknown function -> 404; `aeg-event-type: SubscriptionValidation` -> 200
 * `{"validationResponse"}`; `Notification` (or a CloudEvents content type) -> one invocation per event, all run, 500
 * if any threw, else 202; `Unsubscribe` -> 202; other types or bad JSON -> 400; `OPTIONS` -> 200 with
 * `WebHook-Allowed-Origin`.
 */
export async function handleEventGridWebhook(
  state: HostState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
): Promise<void> {
  if (
    !isAuthorized(
      state.keys,
      { level: 'system', extensionKeyName: EVENT_GRID_SYSTEM_KEY },
      presentedKey(req.headers, url),
    )
  ) {
    req.resume();
    return send(res, 401, undefined);
  }
  const name = url.searchParams.get('functionName') ?? '';
  const fn = runnable(state).find((f) => f.trigger === 'eventGrid' && f.name.toLowerCase() === name.toLowerCase());
  if (!fn) return send(res, 404, undefined);
  if (method === 'OPTIONS') {
    const origin = header(req, 'webhook-request-origin') ?? '*';
    return send(res, 200, undefined, { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*' });
  }
  if (method !== 'POST') return send(res, 405, undefined);
  const raw = await readBody(req);
  if (raw === null) return send(res, 413, undefined);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return send(res, 400, Buffer.from('the body is not JSON'));
  }
  const contentType = header(req, 'content-type') ?? '';
  const eventType = header(req, 'aeg-event-type') ?? (contentType.includes('cloudevents') ? 'Notification' : undefined);
  const events = Array.isArray(body) ? (body as unknown[]) : [body];
  switch (eventType) {
    case 'SubscriptionValidation': {
      const validation = events.find(
        (e) => (e as { eventType?: string } | null)?.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent',
      ) as { data?: { validationCode?: string } } | undefined;
      const code = validation?.data?.validationCode;
      if (!code) return send(res, 400, Buffer.from('no validation code'));
      return sendJson(res, 200, { validationResponse: code });
    }
    case 'Notification': {
      let failed = false;
      for (const event of events) {
        try {
          await invoke(
            state,
            fn,
            { json: JSON.stringify(event) },
            {
              reason: `EventGrid trigger fired at ${new Date().toISOString()}`,
            },
          );
        } catch {
          failed = true;
        }
      }
      return send(res, failed ? 500 : 202, undefined);
    }
    case 'Unsubscribe':
      return send(res, 202, undefined);
    default:
      return send(res, 400, Buffer.from(`unknown aeg-event-type '${safeText(eventType ?? '', 64)}'`));
  }
}
