import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import { handleCallEvents, recordingControlForProcess } from '../shared/control';
import { parseEventEnvelopes } from '../shared/events';
import { checkCallbackSenders, senderPolicyFor } from '../shared/security';
import { answerFailure, readJsonBody } from './http';

/**
 * Call Automation callbacks -> start recording (CallConnected), state (RecordingStateChanged, StartRecordingFailed):
 * the callback URL your application gives ACS, with this function's own key. One event or an array. Event Grid
 * events are refused here (they belong on /api/call-events), and every callback needs its Call Automation JWT when
 * ACS_IMMUTABLE_RESOURCE_ID is set: so this URL, which Call Automation and your application hold, cannot be used to
 * send a made-up CallEnded.
 */
export async function callAutomationEvents(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const envelopes = parseEventEnvelopes(await readJsonBody(request));
    await checkCallbackSenders(envelopes, request.headers.get('authorization'), senderPolicyFor(getConfig(), context));
    const failure = await handleCallEvents(envelopes, await recordingControlForProcess(), context);
    return failure ? answerFailure('callAutomationEvents', failure, context) : { status: 200 };
  } catch (error) {
    return answerFailure('callAutomationEvents', error, context);
  }
}

app.http('callAutomationEvents', {
  route: 'call-automation-events',
  methods: ['POST'],
  authLevel: 'function',
  handler: callAutomationEvents,
});
