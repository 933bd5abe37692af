import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import {
  consoleCaller,
  consoleStores,
  inspectRecording,
  listRecordings,
  parseListQuery,
  playChunk,
  rawRecordingFile,
  recordingAccessLog,
  requestOrigin,
  requireRole,
  verifyChunk,
  type ConsoleRequest,
} from '../shared/console';
import { BadInputError, ConfigError, NotFoundError } from '../shared/errors';
import { answerFailure, jsonResponse, methodNotAllowed, queryValue } from './http';

/**
 * The archive console's JSON API, behind the caller check (App Service authentication and an app role in Azure; the
 * function key locally). Every refusal is a 403 with a JSON error and no data.
 *   GET  console/api/me                                                     who the caller is, which roles
 *   GET  console/api/recordings?from&to&status&callId&serverCallId&participantId&pageSize&continuationToken
 *   GET  console/api/recordings/{callId}/{recordingKey}                     the recording's page (audited)
 *   GET  console/api/recordings/{callId}/{recordingKey}/files/{name}       manifest.json, chunk-NNNN.metadata.json
 *   POST console/api/recordings/{callId}/{recordingKey}/chunks/{i}/play    a 5-minute read-only URL (audited first)
 *   POST console/api/recordings/{callId}/{recordingKey}/chunks/{i}/verify  the chunk read again and checked (audited)
 *   GET  console/api/recordings/{callId}/{recordingKey}/access-log         its access records (audited)
 */
export async function consoleApi(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const caller = consoleCaller((name) => request.headers.get(name), process.env);
    const parts = (request.params.path ?? '').split('/').filter((p) => p.length > 0);
    const method = request.method.toUpperCase();
    const only = (allowed: 'GET' | 'POST') => (method === allowed ? null : methodNotAllowed(request.method, [allowed]));
    if (parts.length === 1 && parts[0] === 'me') {
      return only('GET') ?? jsonResponse(200, { who: caller.who, via: caller.via, roles: [...caller.roles] });
    }
    if (parts[0] !== 'recordings') throw new NotFoundError('no such console resource', 'NoSuchResource');
    const config = getConfig();
    const now = () => new Date();
    if (parts.length === 1) {
      const wrong = only('GET');
      if (wrong) return wrong;
      requireRole(caller, 'Recordings.Read');
      const query = parseListQuery((name) => queryValue(request, name), now());
      return jsonResponse(200, await listRecordings(await consoleStores(config), query, context), noStore);
    }
    const ref = { callId: parts[1] ?? '', recordingKey: parts[2] ?? '' };
    const stores = await consoleStores(config);
    const asked: ConsoleRequest = { caller, from: requestOrigin((name) => request.headers.get(name)), now };
    const [, , , resource, item, action] = parts;
    if (parts.length === 3)
      return only('GET') ?? jsonResponse(200, await inspectRecording(stores, asked, ref), noStore);
    if (resource === 'files' && item && parts.length === 5) {
      const wrong = only('GET');
      if (wrong) return wrong;
      const text = await rawRecordingFile(stores, asked, ref, item);
      return { status: 200, body: text, headers: { 'Content-Type': 'application/json', ...noStore } };
    }
    if (resource === 'access-log' && parts.length === 4) {
      const wrong = only('GET');
      if (wrong) return wrong;
      const token = queryValue(request, 'continuationToken');
      return jsonResponse(
        200,
        await recordingAccessLog(stores, asked, ref, { pageSize: 100, continuationToken: token }),
        noStore,
      );
    }
    if (resource === 'chunks' && parts.length === 6 && (action === 'play' || action === 'verify')) {
      const wrong = only('POST');
      if (wrong) return wrong;
      const index = chunkIndex(item);
      const answer =
        action === 'play' ? await playChunk(stores, asked, ref, index) : await verifyChunk(stores, asked, ref, index);
      return jsonResponse(200, answer, noStore);
    }
    throw new NotFoundError('no such console resource', 'NoSuchResource');
  } catch (error) {
    const response = answerFailure('consoleApi', error, context);
    // A setting's name is no secret, and it is what the operator must fix.
    return error instanceof ConfigError
      ? jsonResponse(response.status ?? 500, { error: { code: error.code, message: error.message } })
      : response;
  }
}

/** Nothing the console answers is cached: a SAS, a manifest or an access log is for this caller, now. */
const noStore = { 'Cache-Control': 'no-store' };

function chunkIndex(value: string | undefined): number {
  if (value === undefined || !/^\d{1,4}$/.test(value))
    throw new BadInputError('the chunk index must be 0-9999', 'index');
  return Number(value);
}

app.http('consoleApi', {
  route: 'console/api/{*path}',
  methods: ['GET', 'POST'],
  authLevel: 'function',
  handler: consoleApi,
});
