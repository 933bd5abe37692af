import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import { handleCallEvents, recordingControlForProcess } from '../shared/control';
import { parseEventEnvelopes, subscriptionValidationCode } from '../shared/events';
import { checkSenders, needsCallbackToken, senderPolicyFor } from '../shared/security';
import { answerFailure, jsonResponse, readJsonBody } from './http';

/**
 * Call events -> start / stop recording: the Event Grid subscription's endpoint (CallStarted, CallEnded of the ACS
 * resource), one event or an array, Event Grid schema or CloudEvents. The sender is checked before anything is done.
 * Call Automation callbacks are still taken here (with their JWT when ACS_IMMUTABLE_RESOURCE_ID is set), with a
 * warning: they belong on /api/call-automation-events, because whoever holds this URL can send a system event, which
 * needs no token.
 */
export async function callEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  if (request.method === 'OPTIONS') return cloudEventsHandshake(request);
  try {
    const envelopes = parseEventEnvelopes(await readJsonBody(request));
    await checkSenders(envelopes, request.headers.get('authorization'), senderPolicyFor(getConfig(), context));
    if (envelopes.some(needsCallbackToken)) {
      context.warn(
        'callEvents: a Call Automation callback arrived at /api/call-events; give Call Automation ' +
          'https://<app>/api/call-automation-events?code=<the callAutomationEvents key> as its callback URL instead ' +
          '(whoever holds the /api/call-events URL can send a CallEnded, which needs no token)',
      );
    }
    const validationCode = subscriptionValidationCode(envelopes);
    if (validationCode !== undefined) return jsonResponse(200, { validationResponse: validationCode });
    const failure = await handleCallEvents(envelopes, await recordingControlForProcess(), context);
    return failure ? answerFailure('callEvents', failure, context) : { status: 200 };
  } catch (error) {
    return answerFailure('callEvents', error, context);
  }
}

/**
 * The CloudEvents webhook handshake (abuse protection): only Event Grid may subscribe this endpoint. It asks with
 * `WebHook-Request-Origin: eventgrid.azure.net`; any other origin (someone pointing their own event source at this
 * URL) is refused, so nobody else gets a sender's permission here.
 * https://github.com/cloudevents/spec/blob/v1.0/http-webhook.md#4-abuse-protection and
 * https://learn.microsoft.com/en-us/azure/event-grid/end-point-validation-cloud-events-schema
 */
const HANDSHAKE_ORIGINS = ['eventgrid.azure.net'];

function cloudEventsHandshake(request: HttpRequest): HttpResponseInit {
  const origin = (request.headers.get('webhook-request-origin') ?? '').trim().toLowerCase();
  if (!HANDSHAKE_ORIGINS.includes(origin)) {
    return jsonResponse(403, {
      error: {
        code: 'OriginNotAllowed',
        message: `WebHook-Request-Origin must be one of ${HANDSHAKE_ORIGINS.join(', ')}: only Event Grid subscribes here`,
      },
    });
  }
  return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' } };
}

app.http('callEvents', {
  route: 'call-events',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'function',
  handler: callEvents,
});
