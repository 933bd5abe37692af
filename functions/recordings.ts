import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { recordingsRouteOf, startRequestOf, recordingControlForProcess, type RecordingView } from '../shared/control';
import { answerFailure, jsonResponse, methodNotAllowed, readJsonBody } from './http';

/**
 * The application's API: start, read, pause, resume and stop the recording of a call. The {serverCallId} in a path
 * is percent-encoded by the caller (real ids hold '/', '+' and '=').
 */
export async function recordings(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const route = recordingsRouteOf(request.method, request.params);
    if (route.kind === 'methodNotAllowed') return methodNotAllowed(request.method, route.allowed);
    const control = await recordingControlForProcess();
    const api = { source: 'api', name: 'API request' } as const;
    let view: RecordingView | undefined;
    switch (route.kind) {
      case 'start': {
        const body = startRequestOf(await readJsonBody(request));
        view = await control.start({ ...body, trigger: api }, context);
        break;
      }
      case 'get':
        view = await control.get(route.callKey);
        break;
      case 'stop':
        view = await control.stop(route.callKey, api, context);
        break;
      case 'pause':
        view = await control.pause(route.callKey, context);
        break;
      case 'resume':
        view = await control.resume(route.callKey, context);
        break;
    }
    return jsonResponse(200, view);
  } catch (error) {
    return answerFailure('recordings', error, context);
  }
}

app.http('recordings', {
  route: 'recordings/{serverCallId?}/{action?}',
  methods: ['GET', 'POST', 'DELETE'],
  authLevel: 'function',
  handler: recordings,
});
