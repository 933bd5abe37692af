import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import { handleCallEvents, recordingControlForProcess } from '../shared/control';
import { parseEventEnvelopes } from '../shared/events';
import { checkSenders, senderPolicyFor } from '../shared/security';
import { answerFailure, readJsonBody } from './http';

/**
 * Recording state callbacks from ACS (RECORDING_STATE_CALLBACK_URL): RecordingStateChanged, StartRecordingFailed and
 * the 2021 CallRecordingStateChanged, one CloudEvent or an array. Other event types are acknowledged and ignored.
 */
export async function recordingState(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const envelopes = parseEventEnvelopes(await readJsonBody(request));
    await checkSenders(envelopes, request.headers.get('authorization'), senderPolicyFor(getConfig(), context));
    const failure = await handleCallEvents(envelopes, await recordingControlForProcess(), context, {
      only: ['recordingState', 'startFailed'],
    });
    return failure ? answerFailure('recordingState', failure, context) : { status: 200 };
  } catch (error) {
    return answerFailure('recordingState', error, context);
  }
}

app.http('recordingState', {
  route: 'recording-state',
  methods: ['POST'],
  authLevel: 'function',
  handler: recordingState,
});
