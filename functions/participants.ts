import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import { AppError, BadInputError, ConfigError, NotFoundError, RetryableError } from '../shared/errors';
import { parseParticipantId } from '../shared/recording';
import {
  parseContinuationToken,
  parsePageSize,
  participantRecordingViews,
  participantStores,
} from '../shared/participants';
import { answerFailure, jsonResponse, queryValue } from './http';

/**
 * GET /api/participants/recordings?participantId=…&pageSize=20&continuationToken=…
 * GET /api/participants/{participantId}/recordings?… (the older form, for ids that survive a path: no '/' or '\')
 * The recordings a participant appears in, with their manifest fields, from the participant index. In the query the
 * caller percent-encodes the id (`4%3A%2B14255550123`; a raw '+' is refused: a query reads it as a space); in the
 * path the host decodes the route segment once and nothing here decodes it again. NOTE: in Azure an encoded '/' in a
 * path never reaches the function (the front end decodes %2F before routing: azure-functions-host#9290), so ids that
 * may hold one go in the query.
 * 200 `{recordings, continuationToken}` (an unknown participant is an empty list); 400 naming the bad parameter; 404
 * for another path; 500 naming the setting when a container is missing (never created here); 503 when Blob Storage
 * fails (retry).
 */
export async function participants(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const participantId = participantIdOf(request);
    const page = {
      pageSize: parsePageSize(request.query.get('pageSize')),
      continuationToken: parseContinuationToken(request.query.get('continuationToken')),
    };
    const stores = await participantStores(getConfig());
    return jsonResponse(200, await participantRecordingViews(stores, participantId, page, context));
  } catch (error) {
    // NOTE: the participant id is personal data: no message here echoes it, so none reaches a log line.
    const failure = storageFailure(error) ?? error;
    const response = answerFailure('participants', failure, context);
    // A setting's name is no secret, and it is what the operator must fix.
    return failure instanceof ConfigError
      ? jsonResponse(response.status ?? 500, { error: { code: failure.code, message: failure.message } })
      : response;
  }
}

/** The participant the request names: in the query (`participants/recordings`) or in the path, never both. */
function participantIdOf(request: HttpRequest): string {
  const { participantId: segment, view } = request.params;
  const fromQuery = queryValue(request, 'participantId');
  const resource = (view ?? segment ?? '').toLowerCase();
  if (resource !== 'recordings') {
    throw new NotFoundError(
      'no such resource: use GET /api/participants/recordings?participantId=… (percent-encoded)',
      'NoSuchResource',
    );
  }
  if (view === undefined) {
    if (fromQuery === undefined) {
      throw new BadInputError(
        'participantId is required: GET /api/participants/recordings?participantId=… (percent-encoded)',
        'participantId',
      );
    }
    return parseParticipantId(fromQuery, 'participantId');
  }
  if (fromQuery !== undefined) {
    throw new BadInputError('name the participant once: in the path or as ?participantId=, not both', 'participantId');
  }
  return parseParticipantId(segment, 'participantId');
}

/**
 * A Blob Storage failure (the SDK's RestError: an HTTP status, or a network error): transient for the caller, 503.
 * Its status and error code go into the logged message; its text (which may name blobs) does not.
 */
function storageFailure(error: unknown): RetryableError | null {
  if (error instanceof AppError || !(error instanceof Error) || error.name !== 'RestError') return null;
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  return new RetryableError(
    'StorageUnavailable',
    `Blob Storage failed (${statusCode ?? 'no status'} ${code ?? 'no code'})`,
    {
      cause: error,
    },
  );
}

app.http('participants', {
  // `participants/recordings?participantId=…` and the older `participants/{participantId}/recordings`: one
  // function, so one function key serves both.
  route: 'participants/{participantId}/{view?}',
  methods: ['GET'],
  authLevel: 'function',
  handler: participants,
});
