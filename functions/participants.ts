import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import { AppError, ConfigError, RetryableError } from '../shared/errors';
import { parseParticipantId } from '../shared/recording';
import {
  parseContinuationToken,
  parsePageSize,
  participantRecordingViews,
  participantStores,
} from '../shared/participants';
import { answerFailure, jsonResponse } from './http';

/**
 * GET /api/participants/{participantId}/recordings?pageSize=20&continuationToken=…
 * The recordings a participant appears in, with their manifest fields, from the participant index. The caller
 * percent-encodes the id (`8%3Aacs%3A…`); the host decodes the route segment once and nothing here decodes it again.
 * 200 `{recordings, continuationToken}` (an unknown participant is an empty list); 400 naming the bad parameter; 500
 * naming the setting when a container is missing (never created here); 503 when Blob Storage fails (retry).
 */
export async function participants(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const participantId = parseParticipantId(request.params.participantId, 'participantId');
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
  route: 'participants/{participantId}/recordings',
  methods: ['GET'],
  authLevel: 'function',
  handler: participants,
});
