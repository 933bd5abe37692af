import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../shared/config';
import { AppError, RetryableError } from '../shared/errors';
import { parseParticipantId } from '../shared/participants/participantId';
import {
  parseContinuationToken,
  parsePageSize,
  participantRecordingViews,
} from '../shared/participants/participantRecordingViews';
import { containerFor } from '../shared/storage';
import { answerFailure, jsonResponse } from './http';

/**
 * GET /api/participants/{participantId}/recordings?pageSize=20&continuationToken=…
 * The recordings a participant appears in, with their manifest fields, from the participant index. The caller
 * percent-encodes the id (`8%3Aacs%3A…`); the host decodes the route segment once and nothing here decodes it again.
 * 200 `{recordings, continuationToken}` (an unknown participant is an empty list); 400 naming the bad parameter.
 */
export async function participants(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const participantId = parseParticipantId(request.params.participantId, 'participantId');
    const page = {
      pageSize: parsePageSize(request.query.get('pageSize')),
      continuationToken: parseContinuationToken(request.query.get('continuationToken')),
    };
    const config = getConfig();
    const [archive, control] = await Promise.all([
      containerFor(config, config.archiveContainer),
      containerFor(config, config.controlContainer),
    ]);
    return jsonResponse(200, await participantRecordingViews({ archive, control }, participantId, page, context));
  } catch (error) {
    // NOTE: the participant id is personal data: no message here echoes it, so none reaches a log line.
    const failure = isStorageError(error) ? new RetryableError('StorageUnavailable', 'Blob Storage failed') : error;
    return answerFailure('participants', failure, context);
  }
}

/** A Blob Storage failure (the SDK's RestError, an HTTP status or a network error): transient for the caller, 503. */
function isStorageError(error: unknown): boolean {
  return !(error instanceof AppError) && error instanceof Error && error.name === 'RestError';
}

app.http('participants', {
  route: 'participants/{participantId}/recordings',
  methods: ['GET'],
  authLevel: 'function',
  handler: participants,
});
