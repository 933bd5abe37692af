import type { CallLocator } from '../acs';
import { callIdFromRouteValue, parseServerCallId, serverCallIdFromConversationUrl } from '../recording';
import { BadInputError, NotFoundError } from '../errors';
import { safeText } from '../text';

/**
 * The application's API, parsed into what it asks for (the function layer only reads the query and the body, and
 * maps the result). A call is named by a query parameter or a body field:
 *   POST   /api/recordings                       start  {serverCallId|conversationId|conversationUrl, operationContext?}
 *   GET    /api/recordings?serverCallId=…        state  (or ?conversationId= / ?conversationUrl=)
 *   DELETE /api/recordings?serverCallId=…        stop
 *   POST   /api/recordings/pause|resume|stop     the call in the body (or the query)
 * and, for ids without '/', the older path forms:
 *   GET | DELETE /api/recordings/{serverCallId}    POST /api/recordings/{serverCallId}/pause | resume
 * NOTE: an id holding '/' cannot travel in a path segment: Azure's front end decodes %2F before the Functions host
 * routes the request, so the segment splits in two and the route no longer matches (azure-functions-host#3998,
 * #5619, #9290). Most real ids hold one: a 100-character standard base64 id does with odds of about 4 in 5.
 */
export type RecordingsRoute =
  | { kind: 'start'; start: StartRequestBody }
  | { kind: 'get' | 'stop' | 'pause' | 'resume'; callKey: string }
  | { kind: 'methodNotAllowed'; allowed: readonly string[] };

/** The ways to name a call, in the query or the body. */
export const CALL_FIELDS = ['serverCallId', 'conversationId', 'conversationUrl'] as const;
type CallField = (typeof CALL_FIELDS)[number];

/** The call-naming query parameters, each decoded once (undefined when absent). */
export type CallQuery = Partial<Record<CallField, string>>;

export interface RecordingsRequest {
  method: string;
  /** The route values of `recordings/{serverCallId?}/{action?}`. */
  params: { serverCallId?: string; action?: string };
  query?: CallQuery;
  /** The JSON body of a POST (undefined when empty). */
  body?: unknown;
}

export interface StartRequestBody {
  locator: CallLocator;
  operationContext?: string;
}

const MAX_OPERATION_CONTEXT = 512;
/** The last segment of `POST /api/recordings/{action}`: words, not ids (a call named "stop" uses the query). */
const BODY_ACTIONS = new Set(['pause', 'resume', 'stop']);
const PATH_ACTIONS = new Set(['pause', 'resume']);

/** Which operation a request asks for, and of which call. */
export function recordingsRouteOf(request: RecordingsRequest): RecordingsRoute {
  const method = request.method.toUpperCase();
  const query = request.query ?? {};
  const first = nonEmpty(request.params.serverCallId);
  const second = nonEmpty(request.params.action);
  if (first === undefined) {
    if (method === 'POST') return { kind: 'start', start: startRequestOf(request.body, query) };
    if (method !== 'GET' && method !== 'DELETE') return notAllowed('GET', 'POST', 'DELETE');
    return { kind: method === 'GET' ? 'get' : 'stop', callKey: callKeyOf(query, undefined) };
  }
  if (second === undefined && BODY_ACTIONS.has(first.toLowerCase())) {
    if (method !== 'POST') return notAllowed('POST');
    return { kind: first.toLowerCase() as 'pause' | 'resume' | 'stop', callKey: callKeyOf(query, request.body) };
  }
  if (second === undefined) {
    if (method !== 'GET' && method !== 'DELETE') return notAllowed('GET', 'DELETE');
    return { kind: method === 'GET' ? 'get' : 'stop', callKey: pathCallKey(first, query) };
  }
  const action = second.toLowerCase();
  if (!PATH_ACTIONS.has(action)) throw noSuchOperation(second);
  if (method !== 'POST') return notAllowed('POST');
  return { kind: action as 'pause' | 'resume', callKey: pathCallKey(first, query) };
}

/** The body of a start (or its query): exactly one way to name the call, and an optional operationContext. */
export function startRequestOf(body: unknown, query: CallQuery = {}): StartRequestBody {
  const fromQuery = givenIn(query);
  if (fromQuery.length === 0 && !isObject(body)) {
    throw new BadInputError('body must be a JSON object with serverCallId, conversationId or conversationUrl', 'body');
  }
  if (body !== undefined && !isObject(body)) {
    throw new BadInputError('body must be a JSON object (the call is named in the query)', 'body');
  }
  const id = callIdOf(query, isObject(body) ? body : undefined);
  const context = isObject(body) ? body.operationContext : undefined;
  if (context !== undefined && (typeof context !== 'string' || context.length > MAX_OPERATION_CONTEXT)) {
    throw new BadInputError(
      `operationContext must be a string of at most ${MAX_OPERATION_CONTEXT} characters`,
      'operationContext',
    );
  }
  return { locator: { kind: 'serverCallId', id }, ...(context ? { operationContext: context } : {}) };
}

/** The call of a request that names it in the query or the body (never both). */
function callKeyOf(query: CallQuery, body: unknown): string {
  if (body !== undefined && !isObject(body)) {
    throw new BadInputError('body must be a JSON object with serverCallId, conversationId or conversationUrl', 'body');
  }
  return callIdOf(query, body);
}

/** The call of an older path form; naming it in the query as well is ambiguous. */
function pathCallKey(routeValue: string, query: CallQuery): string {
  const fromQuery = givenIn(query);
  if (fromQuery.length > 0) {
    throw new BadInputError(
      `name the call once: in the path or as ?${fromQuery[0]}=, not both (ids holding '/' only work in the query)`,
      fromQuery[0],
    );
  }
  return callIdFromRouteValue(routeValue, 'serverCallId');
}

function callIdOf(query: CallQuery, body: Record<string, unknown> | undefined): string {
  const given: { field: CallField; value: unknown; where: 'query' | 'body' }[] = [
    ...givenIn(query).map((field) => ({ field, value: query[field], where: 'query' as const })),
    ...givenIn(body ?? {}).map((field) => ({ field, value: body![field], where: 'body' as const })),
  ];
  if (given.length === 0) {
    throw new BadInputError(
      'serverCallId, conversationId or conversationUrl is required (in the query, or in a JSON body)',
      'serverCallId',
    );
  }
  if (given.length > 1) {
    const names = given.map((g) => `${g.field} (${g.where})`).join(', ');
    throw new BadInputError(`name the call once: got ${names}`, given[1]!.field);
  }
  const { field, value, where } = given[0]!;
  if (field === 'conversationUrl') return serverCallIdFromConversationUrl(value, field);
  return where === 'query' ? queryCallId(value, field) : parseServerCallId(value, field);
}

/**
 * parseServerCallId, with a hint for the one mistake a query makes easy: a '+' sent unencoded reads as a space.
 * (The function layer refuses a raw '+' in the query; a space may still arrive as %20 or from a form encoder.)
 */
function queryCallId(value: unknown, field: CallField): string {
  if (typeof value === 'string' && value.includes(' ')) {
    throw new BadInputError(
      `${field} must not contain spaces (a '+' in a query string reads as a space: percent-encode the id, '+' as %2B)`,
      field,
    );
  }
  return parseServerCallId(value, field);
}

function givenIn(source: Partial<Record<string, unknown>>): CallField[] {
  return CALL_FIELDS.filter((field) => source[field] !== undefined);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function notAllowed(...allowed: string[]): RecordingsRoute {
  return { kind: 'methodNotAllowed', allowed };
}

/**
 * `recordings/{a}/{b}` where b is no operation. This is also how an id holding '/' arrives in Azure when it was put in
 * the path (the front end decoded its %2F), so the answer says where the id goes instead.
 */
function noSuchOperation(segment: string): NotFoundError {
  return new NotFoundError(
    `no operation '${safeText(segment, 40)}' on a recording (use pause or resume); a serverCallId holding '/' cannot ` +
      'be sent in the path: use GET /api/recordings?serverCallId=… or POST /api/recordings/pause|resume|stop with ' +
      '{"serverCallId": …}',
    'NoSuchOperation',
  );
}
