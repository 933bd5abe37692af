import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { recordingControlForProcess } from '../shared/control/createRecordingControl';
import { BadInputError, isRetryable, toError } from '../shared/errors';
import { callMomentOf } from '../shared/events/callEvents';
import { parseEventEnvelopes } from '../shared/events/envelope';
import { errorResponse, readJsonBody, responseForRequestError } from './http';

/** Recording state callbacks from ACS (RECORDING_STATE_CALLBACK_URL): one CloudEvent or an array. */
export async function recordingState(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const envelopes = parseEventEnvelopes(await readJsonBody(request));
    const control = await recordingControlForProcess();
    for (const envelope of envelopes) {
      const moment = callMomentOf(envelope);
      if (moment.kind !== 'recordingState') {
        context.debug(`recording-state: ignored ${moment.eventType}`);
        continue;
      }
      const view = await control.applyStateCallback(moment.serverCallId, moment.recordingId, moment.state);
      context.info(`recording-state: ${moment.state} -> ${view?.state ?? 'unknown call, ignored'}`);
    }
    return { status: 200 };
  } catch (error) {
    context.warn(`recording-state: ${toError(error).message}`);
    if (!(error instanceof BadInputError) && isRetryable(error)) {
      return errorResponse(503, 'RetryLater', 'A dependency is temporarily unavailable; retry later');
    }
    return responseForRequestError(error);
  }
}

app.http('recordingState', {
  route: 'recording-state',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: recordingState,
});
