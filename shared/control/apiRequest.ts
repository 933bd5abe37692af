import type { CallLocator } from '../acs';
import { callIdFromRouteValue, parseServerCallId, serverCallIdFromConversationUrl } from '../recording';
import { BadInputError } from '../errors';
import { safeText } from '../text';

/**
 * The application's API, parsed into what it asks for (the function layer only reads the body and maps the result):
 *   POST   /api/recordings                  {serverCallId | conversationId | conversationUrl, operationContext?}
 *   GET    /api/recordings/{serverCallId}
 *   DELETE /api/recordings/{serverCallId}
 *   POST   /api/recordings/{serverCallId}/pause | /resume
 */
export type RecordingsRoute =
  | { kind: 'start' }
  | { kind: 'get' | 'stop' | 'pause' | 'resume'; callKey: string }
  | { kind: 'methodNotAllowed'; allowed: readonly string[] };

export interface StartRequestBody {
  locator: CallLocator;
  operationContext?: string;
}

const MAX_OPERATION_CONTEXT = 512;

/** Which operation a method and route ask for; the id in the path is decoded (see callIdFromRouteValue). */
export function recordingsRouteOf(method: string, params: { serverCallId?: string; action?: string }): RecordingsRoute {
  const m = method.toUpperCase();
  if (params.serverCallId === undefined || params.serverCallId === '') {
    return m === 'POST' ? { kind: 'start' } : { kind: 'methodNotAllowed', allowed: ['POST'] };
  }
  if (params.action === undefined || params.action === '') {
    if (m !== 'GET' && m !== 'DELETE') return { kind: 'methodNotAllowed', allowed: ['GET', 'DELETE'] };
    const callKey = callIdFromRouteValue(params.serverCallId, 'serverCallId');
    return { kind: m === 'GET' ? 'get' : 'stop', callKey };
  }
  const action = params.action.toLowerCase();
  if (action !== 'pause' && action !== 'resume') {
    throw new BadInputError(`unknown action '${safeText(params.action, 40)}': use pause or resume`, 'action');
  }
  if (m !== 'POST') return { kind: 'methodNotAllowed', allowed: ['POST'] };
  return { kind: action, callKey: callIdFromRouteValue(params.serverCallId, 'serverCallId') };
}

/** The body of a start: exactly one way to name the call. */
export function startRequestOf(body: unknown): StartRequestBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadInputError('body must be a JSON object with serverCallId, conversationId or conversationUrl', 'body');
  }
  const b = body as Record<string, unknown>;
  const given = (['serverCallId', 'conversationId', 'conversationUrl'] as const).filter((f) => b[f] !== undefined);
  if (given.length === 0) {
    throw new BadInputError('serverCallId, conversationId or conversationUrl is required', 'serverCallId');
  }
  if (given.length > 1) {
    throw new BadInputError(
      `give only one of serverCallId, conversationId and conversationUrl (got ${given.join(', ')})`,
      given[1],
    );
  }
  const field = given[0]!;
  const id =
    field === 'conversationUrl'
      ? serverCallIdFromConversationUrl(b.conversationUrl, field)
      : parseServerCallId(b[field], field);
  const context = b.operationContext;
  if (context !== undefined && (typeof context !== 'string' || context.length > MAX_OPERATION_CONTEXT)) {
    throw new BadInputError(
      `operationContext must be a string of at most ${MAX_OPERATION_CONTEXT} characters`,
      'operationContext',
    );
  }
  return { locator: { kind: 'serverCallId', id }, ...(context ? { operationContext: context } : {}) };
}
