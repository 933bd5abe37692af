import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { recordingControlForProcess } from '../shared/control/createRecordingControl';
import { AppError, BadInputError, isRetryable, toError } from '../shared/errors';
import { callMomentOf } from '../shared/events/callEvents';
import { parseEventEnvelopes, subscriptionValidationCode } from '../shared/events/envelope';
import { errorResponse, jsonResponse, readJsonBody, responseForRequestError } from './http';

/**
 * Call events -> start / stop recording (SPEC section 4). Event Grid never retries 400/401/403/413 and retries
 * everything else: input that can never succeed gets 400, a transient failure 503 so that the event comes again.
 */
export async function callEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  if (request.method === 'OPTIONS') {
    // CloudEvents webhook validation (the abuse-protection handshake).
    const origin = request.headers.get('webhook-request-origin') ?? '*';
    return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' } };
  }
  let envelopes;
  try {
    envelopes = parseEventEnvelopes(await readJsonBody(request));
  } catch (error) {
    context.warn(`call-events: rejected a delivery: ${toError(error).message}`);
    return responseForRequestError(error);
  }
  let validation: string | undefined;
  try {
    validation = subscriptionValidationCode(envelopes);
  } catch (error) {
    return responseForRequestError(error);
  }
  if (validation !== undefined) return jsonResponse(200, { validationResponse: validation });

  const control = await recordingControlForProcess();
  let retry = false;
  for (const envelope of envelopes) {
    try {
      const moment = callMomentOf(envelope);
      switch (moment.kind) {
        case 'established': {
          const view = await control.startForCall(moment.serverCallId, moment.eventType);
          context.info(`call-events: ${moment.eventType}: recording ${view.state} (${view.recordingId ?? 'no id'})`);
          break;
        }
        case 'ended': {
          const view = await control.stopForCall(moment.serverCallId, moment.eventType).catch((error: unknown) => {
            if (error instanceof AppError && error.kind === 'notFound') return undefined; // never recorded
            throw error;
          });
          context.info(`call-events: ${moment.eventType}: recording ${view?.state ?? 'was never started'}`);
          break;
        }
        case 'recordingState':
          await control.applyStateCallback(moment.serverCallId, moment.recordingId, moment.state);
          break;
        case 'startFailed':
          await control.applyStateCallback(moment.serverCallId, null, 'failed');
          context.error(`call-events: ACS could not start recording call ${moment.serverCallId}`);
          break;
        case 'ignored':
          context.debug(`call-events: ignored ${moment.eventType}`);
          break;
      }
    } catch (error) {
      const e = toError(error);
      if (error instanceof BadInputError) {
        context.warn(`call-events: event ${envelope.id} can never succeed: ${e.message}`);
        if (envelopes.length === 1) return errorResponse(400, error.code, error.message);
      } else if (error instanceof AppError && !isRetryable(error)) {
        context.error(`call-events: event ${envelope.id}: ${e.message}`);
      } else {
        context.error(`call-events: event ${envelope.id} failed, asking for a redelivery: ${e.message}`);
        retry = true;
      }
    }
  }
  return retry
    ? errorResponse(503, 'RetryLater', 'A dependency is temporarily unavailable; retry later')
    : { status: 200 };
}

app.http('callEvents', {
  route: 'call-events',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: callEvents,
});
