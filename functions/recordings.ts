import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { recordingsRouteOf, recordingControlForProcess, type RecordingView } from '../shared/control';
import { answerFailure, jsonResponse, methodNotAllowed, queryValue, readJsonBody } from './http';

/**
 * The application's API: start, read, pause, resume and stop the recording of a call. The call is named in the query
 * (`?serverCallId=`, `?conversationId=`, `?conversationUrl=`) or in a JSON body, never only in the path: real ids
 * hold '/', and Azure's front end decodes a `%2F` in a path before the route is matched (404). The older path forms
 * (`recordings/{serverCallId}[/pause|/resume]`) still work for ids without '/'.
 */
export async function recordings(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const route = recordingsRouteOf({
      method: request.method,
      params: request.params,
      query: {
        serverCallId: queryValue(request, 'serverCallId'),
        conversationId: queryValue(request, 'conversationId'),
        conversationUrl: queryValue(request, 'conversationUrl'),
      },
      body: request.method.toUpperCase() === 'POST' ? await readJsonBody(request) : undefined,
    });
    if (route.kind === 'methodNotAllowed') return methodNotAllowed(request.method, route.allowed);
    const control = await recordingControlForProcess();
    const api = { source: 'api', name: 'API request' } as const;
    let view: RecordingView | undefined;
    switch (route.kind) {
      case 'start':
        view = await control.start({ ...route.start, trigger: api }, context);
        break;
      case 'get':
        view = await control.get(route.callKey, context);
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
  // NOTE: one function, so one function key serves every form; `{serverCallId?}` is also where an action word
  // (pause, resume, stop) of the body-addressed forms lands.
  route: 'recordings/{serverCallId?}/{action?}',
  methods: ['GET', 'POST', 'DELETE'],
  authLevel: 'function',
  handler: recordings,
});
