import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { parseServerCallId, serverCallIdFromConversationUrl } from '../shared/acs/serverCallId';
import { recordingControlForProcess } from '../shared/control/createRecordingControl';
import { BadInputError, toError } from '../shared/errors';
import { jsonResponse, methodNotAllowed, readJsonBody, responseForRequestError } from './http';

/**
 * The application's API (SPEC section 8):
 *   POST   /api/recordings                          {serverCallId | conversationId | conversationUrl, operationContext?}
 *   GET    /api/recordings/{serverCallId}
 *   POST   /api/recordings/{serverCallId}/pause | /resume
 *   DELETE /api/recordings/{serverCallId}
 */
export async function recordings(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { serverCallId: idParam, action } = request.params;
  try {
    const control = await recordingControlForProcess();
    if (!idParam) {
      if (request.method !== 'POST') return methodNotAllowed(request.method, ['POST']);
      const body = await readJsonBody(request);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new BadInputError(
          'body must be a JSON object with serverCallId, conversationId or conversationUrl',
          'body',
        );
      }
      const b = body as Record<string, unknown>;
      const serverCallId =
        b.serverCallId !== undefined
          ? parseServerCallId(b.serverCallId, 'serverCallId')
          : b.conversationId !== undefined
            ? parseServerCallId(b.conversationId, 'conversationId')
            : b.conversationUrl !== undefined
              ? serverCallIdFromConversationUrl(conversationUrlOf(b.conversationUrl), 'conversationUrl')
              : undefined;
      if (!serverCallId)
        throw new BadInputError('serverCallId, conversationId or conversationUrl is required', 'serverCallId');
      if (b.operationContext !== undefined && typeof b.operationContext !== 'string') {
        throw new BadInputError('operationContext must be a string', 'operationContext');
      }
      const view = await control.startForCall(serverCallId, 'API request', b.operationContext);
      context.info(`recordings: start ${serverCallId.slice(0, 24)}…: ${view.state}`);
      return jsonResponse(200, view);
    }
    const serverCallId = parseServerCallId(idParam, 'serverCallId');
    if (action === undefined) {
      if (request.method === 'GET') return jsonResponse(200, await control.get(serverCallId));
      if (request.method === 'DELETE') return jsonResponse(200, await control.stopForCall(serverCallId, 'API request'));
      return methodNotAllowed(request.method, ['GET', 'DELETE']);
    }
    if (action !== 'pause' && action !== 'resume') {
      throw new BadInputError(`unknown action '${action}': use pause or resume`, 'action');
    }
    if (request.method !== 'POST') return methodNotAllowed(request.method, ['POST']);
    const view = action === 'pause' ? await control.pause(serverCallId) : await control.resume(serverCallId);
    return jsonResponse(200, view);
  } catch (error) {
    context.warn(`recordings: ${request.method} failed: ${toError(error).message}`);
    return responseForRequestError(error);
  }
}

function conversationUrlOf(value: unknown): string {
  if (typeof value !== 'string') throw new BadInputError('conversationUrl must be a string', 'conversationUrl');
  return value;
}

app.http('recordings', {
  route: 'recordings/{serverCallId?}/{action?}',
  methods: ['GET', 'POST', 'DELETE'],
  authLevel: 'function',
  handler: recordings,
});
